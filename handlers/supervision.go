package handlers

// supervisionRoutes registers the pages and API of the market supervision desk and spot checks (issue 6).
func (s *Server) supervisionRoutes() {}
