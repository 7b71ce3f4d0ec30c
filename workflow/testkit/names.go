package testkit

// Day is the seeded world's date in Yiwu, against which entrustments are read.
const Day = "2026-11-29"

// Everyone is every seeded username and nobody (""), the rows of an access matrix.
var Everyone = []string{"", UserMerchantA, UserMerchantB, UserPending, UserAgentX, UserAgentY,
	UserCustoms, UserTax, UserFX, UserSupervisor, UserAuditor, UserAdmin}
