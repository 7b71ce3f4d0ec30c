package handlers

// goodsRoutes registers the routes of this area (filled in by the work on issue 4).
func (s *Server) goodsRoutes() {}
