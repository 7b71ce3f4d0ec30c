package handlers

// riskRoutes registers the pages and API of risk rule sets and routing replay (issue 6).
func (s *Server) riskRoutes() {}
