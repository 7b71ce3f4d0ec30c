package workflow

import (
	"mpt/models"
	"mpt/workflow/apperr"
)

// Actor is who is asking: a logged-in user, or nobody (the zero Actor).
type Actor struct {
	UserID      int64
	Username    string
	DisplayName string
	Role        string
	MerchantID  int64 // for merchant users
	AgentID     int64 // for agent users
	Lang        string
	SessionID   string // the session (hash) this request came with; "" for API tokens
	Day         string // the Yiwu date of the request (YYYY-MM-DD), against which entrustments are read
}

// Anonymous reports whether nobody is logged in.
func (a Actor) Anonymous() bool { return a.UserID == 0 }

// Action is something a role may be allowed to do. Every page and API route names one.
type Action string

// The actions. Public ones need no login; Authenticated ones need only a login.
const (
	Public        Action = "public"
	Authenticated Action = "authenticated"

	ActMerchantRegister Action = "merchant.register" // a new merchant registers itself
	ActMerchantList     Action = "merchant.list"
	ActMerchantView     Action = "merchant.view"
	ActMerchantApprove  Action = "merchant.approve" // approve or reject a registration
	ActMerchantStatus   Action = "merchant.status"  // abnormal, suspended, blacklisted, active

	ActAgentList   Action = "agent.list"
	ActAgentView   Action = "agent.view"
	ActAgentManage Action = "agent.manage"

	ActBuyerList   Action = "buyer.list"
	ActBuyerView   Action = "buyer.view"
	ActBuyerCreate Action = "buyer.create"

	ActEntrustmentList   Action = "entrustment.list"
	ActEntrustmentManage Action = "entrustment.manage"

	ActGoodsList      Action = "goods.list"
	ActGoodsView      Action = "goods.view"
	ActGoodsManage    Action = "goods.manage"    // a merchant's own catalogue
	ActGoodsRecognise Action = "goods.recognise" // 商品认定 by market supervision
	ActHSSearch       Action = "hs.search"

	ActTransactionList   Action = "transaction.list"
	ActTransactionView   Action = "transaction.view"
	ActTransactionManage Action = "transaction.manage" // create, edit, submit, void, attach, import

	ActConsolidationList   Action = "consolidation.list"
	ActConsolidationView   Action = "consolidation.view"
	ActConsolidationManage Action = "consolidation.manage" // open, allocate lines, containers, packing, close
	ActConsolidationFile   Action = "consolidation.file"   // a merchant files its lines by booking code

	ActDeclarationList   Action = "declaration.list"
	ActDeclarationView   Action = "declaration.view"
	ActDeclarationManage Action = "declaration.manage" // generate, acknowledge, submit, amend, cancel

	// Customs (issue 6): the desk, risk rules and routing replay, red-lane inspection.
	ActCustomsDesk     Action = "customs.desk"          // accept, route, request documents, release, exit, reject, post-clearance audit
	ActCustomsInspect  Action = "customs.inspect"       // record the result of an inspection assigned to oneself
	ActRiskRulesView   Action = "risk.view"             // rule-set versions, routing decisions and their replay
	ActRiskRulesManage Action = "risk.manage"           // publish a new rule-set version
	ActDeclarationDocs Action = "declaration.documents" // upload documents customs asked for (yellow lane)

	// FX (issue 6): receipts and allocations, recorded by the bank's FX officer.
	ActFXDesk     Action = "fx.desk"     // record receipts, upload statements, confirm allocations
	ActFXView     Action = "fx.view"     // receipts and allocations (a merchant or agent sees its own)
	ActFXBalances Action = "fx.balances" // exported against received, per merchant and per buyer

	// Tax (issue 6): monthly VAT exemption filings.
	ActTaxList   Action = "tax.list"   // filings (a merchant or agent sees its own)
	ActTaxFile   Action = "tax.file"   // build and file a merchant's filing (the agent on its behalf)
	ActTaxDecide Action = "tax.decide" // accept or reject a filing; overdue list

	// Market supervision (issue 6): the desk and "double random" spot checks.
	ActSupervisionDesk Action = "supervision.desk"
	ActSpotCheckManage Action = "spotcheck.manage" // draw a campaign, record results, publish
	ActSpotCheckView   Action = "spotcheck.view"

	// Notifications and webhooks (issue 6).
	ActWebhookManage Action = "webhook.manage" // an agent's webhook URLs and their deliveries

	// Traceability (issue 7): the chain of a goods line from any identifier, and the audit log.
	ActTrace          Action = "trace.view"      // a merchant its own lines, an agent its merchants', auditors and admins all
	ActAuditVerify    Action = "audit.verify"    // recompute the audit chain, export checkpoints
	ActAuditDashboard Action = "audit.dashboard" // exports, lanes, FX and VAT coverage, anomalies

	ActUserManage     Action = "user.manage"
	ActSettingsView   Action = "settings.view"
	ActSettingsManage Action = "settings.manage"
)

// permissions is the role × action table: the one place that says which role may do what.
// Ownership (a merchant's own rows, an agent's entrusting merchants) is enforced inside the
// queries through Scope.
var permissions = map[Action][]string{
	ActMerchantList:    {models.RoleAgent, models.RoleSupervision, models.RoleAuditor, models.RoleAdmin},
	ActMerchantView:    {models.RoleMerchant, models.RoleAgent, models.RoleSupervision, models.RoleAuditor, models.RoleAdmin},
	ActMerchantApprove: {models.RoleSupervision},
	ActMerchantStatus:  {models.RoleSupervision},

	ActAgentList:   {models.RoleMerchant, models.RoleAuditor, models.RoleAdmin},
	ActAgentView:   {models.RoleMerchant, models.RoleAgent, models.RoleAuditor, models.RoleAdmin},
	ActAgentManage: {models.RoleAdmin},

	ActBuyerList:   {models.RoleMerchant, models.RoleAgent, models.RoleCustoms, models.RoleFX, models.RoleAuditor, models.RoleAdmin},
	ActBuyerView:   {models.RoleMerchant, models.RoleAgent, models.RoleCustoms, models.RoleFX, models.RoleAuditor, models.RoleAdmin},
	ActBuyerCreate: {models.RoleMerchant, models.RoleAgent},

	ActEntrustmentList:   {models.RoleMerchant, models.RoleAgent, models.RoleAuditor, models.RoleAdmin},
	ActEntrustmentManage: {models.RoleMerchant},

	ActGoodsList:      {models.RoleMerchant, models.RoleAgent, models.RoleSupervision, models.RoleAuditor, models.RoleAdmin},
	ActGoodsView:      {models.RoleMerchant, models.RoleAgent, models.RoleSupervision, models.RoleAuditor, models.RoleAdmin},
	ActGoodsManage:    {models.RoleMerchant},
	ActGoodsRecognise: {models.RoleSupervision},
	ActHSSearch:       {models.RoleMerchant, models.RoleAgent, models.RoleSupervision, models.RoleCustoms, models.RoleAuditor, models.RoleAdmin},

	ActTransactionList:   {models.RoleMerchant, models.RoleAgent, models.RoleAuditor, models.RoleAdmin},
	ActTransactionView:   {models.RoleMerchant, models.RoleAgent, models.RoleAuditor, models.RoleAdmin},
	ActTransactionManage: {models.RoleMerchant, models.RoleAgent},

	ActConsolidationList:   {models.RoleMerchant, models.RoleAgent, models.RoleAuditor, models.RoleAdmin},
	ActConsolidationView:   {models.RoleMerchant, models.RoleAgent, models.RoleAuditor, models.RoleAdmin},
	ActConsolidationManage: {models.RoleAgent},
	ActConsolidationFile:   {models.RoleMerchant},

	ActDeclarationList:   {models.RoleMerchant, models.RoleAgent, models.RoleCustoms, models.RoleAuditor, models.RoleAdmin},
	ActDeclarationView:   {models.RoleMerchant, models.RoleAgent, models.RoleCustoms, models.RoleAuditor, models.RoleAdmin},
	ActDeclarationManage: {models.RoleAgent},

	ActCustomsDesk:     {models.RoleCustoms},
	ActCustomsInspect:  {models.RoleCustoms},
	ActRiskRulesView:   {models.RoleCustoms, models.RoleAuditor, models.RoleAdmin},
	ActRiskRulesManage: {models.RoleAdmin},
	ActDeclarationDocs: {models.RoleAgent},

	ActFXDesk:     {models.RoleFX},
	ActFXView:     {models.RoleMerchant, models.RoleAgent, models.RoleFX, models.RoleAuditor, models.RoleAdmin},
	ActFXBalances: {models.RoleFX, models.RoleAuditor, models.RoleAdmin},

	ActTaxList:   {models.RoleMerchant, models.RoleAgent, models.RoleTax, models.RoleAuditor, models.RoleAdmin},
	ActTaxFile:   {models.RoleMerchant, models.RoleAgent},
	ActTaxDecide: {models.RoleTax},

	ActSupervisionDesk: {models.RoleSupervision},
	ActSpotCheckManage: {models.RoleSupervision},
	ActSpotCheckView:   {models.RoleSupervision, models.RoleAuditor, models.RoleAdmin},

	ActWebhookManage: {models.RoleAgent},

	ActTrace:          {models.RoleMerchant, models.RoleAgent, models.RoleAuditor, models.RoleAdmin},
	ActAuditVerify:    {models.RoleAuditor, models.RoleAdmin},
	ActAuditDashboard: {models.RoleAuditor, models.RoleAdmin},

	ActUserManage:     {models.RoleAdmin},
	ActSettingsView:   {models.RoleAdmin, models.RoleAuditor},
	ActSettingsManage: {models.RoleAdmin},
}

// Known reports whether an action is in the permission table (or public/authenticated).
func Known(a Action) bool {
	if a == Public || a == Authenticated || a == ActMerchantRegister {
		return true
	}
	_, ok := permissions[a]
	return ok
}

// Can reports whether the actor's role may perform an action.
func (a Actor) Can(act Action) bool {
	switch act {
	case Public, ActMerchantRegister:
		return true
	case Authenticated:
		return !a.Anonymous()
	}
	if a.Anonymous() {
		return false
	}
	for _, r := range permissions[act] {
		if r == a.Role {
			return true
		}
	}
	return false
}

// Require returns Unauthenticated for nobody and Forbidden for a role without the action.
func (a Actor) Require(act Action) error {
	if a.Can(act) {
		return nil
	}
	if a.Anonymous() {
		return apperr.New(apperr.Unauthenticated, apperr.T("Please log in", "请先登录"))
	}
	return apperr.New(apperr.Forbidden, apperr.T("Your role may not do this", "您的角色无权执行此操作"))
}

// Scope is what rows of merchant-owned data the actor may see.
func (a Actor) Scope() models.Scope {
	switch a.Role {
	case models.RoleMerchant:
		return models.Scope{MerchantID: a.MerchantID}
	case models.RoleAgent:
		return models.Scope{AgentID: a.AgentID, Day: a.Day}
	case "":
		return models.Scope{None: true}
	}
	return models.Scope{All: true}
}
