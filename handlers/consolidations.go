package handlers

// consolidationRoutes registers the routes of this area (filled in by the work on issue 5).
func (s *Server) consolidationRoutes() {}
