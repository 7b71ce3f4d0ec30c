package handlers

// merchantRoutes registers the routes of this area (filled in by the work on issue 3).
func (s *Server) merchantRoutes() {}
