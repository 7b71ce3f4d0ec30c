package handlers

// notificationRoutes registers the pages and API of in-app notifications and webhooks (issue 6).
func (s *Server) notificationRoutes() {}
