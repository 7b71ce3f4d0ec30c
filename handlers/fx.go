package handlers

// fxRoutes registers the pages and API of FX receipts and allocations (issue 6).
func (s *Server) fxRoutes() {}
