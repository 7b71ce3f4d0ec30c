package handlers

// customsRoutes registers the pages and API of the customs desk (issue 6).
func (s *Server) customsRoutes() {}
