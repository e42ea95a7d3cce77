using ControlPlane.Features.People;
using Microsoft.AspNetCore.Authorization;

namespace ControlPlane.Infrastructure.Auth;

/// <summary>
/// Every page and endpoint names one of these policies (or is explicitly anonymous). The fallback policy
/// refuses anything that forgot to. AuthorizationMatrixTests pins who may reach what.
/// </summary>
public static class Policies
{
    public const string SignedIn = nameof(SignedIn);
    public const string TeamsView = nameof(TeamsView);
    public const string TeamsManage = nameof(TeamsManage);
    public const string KeysView = nameof(KeysView);
    public const string KeysManage = nameof(KeysManage);
    public const string AuditView = nameof(AuditView);
    public const string CallsView = nameof(CallsView);
    public const string ModelsView = nameof(ModelsView);
    public const string ModelsManage = nameof(ModelsManage);
    public const string ProvidersView = nameof(ProvidersView);
    public const string ProvidersManage = nameof(ProvidersManage);
    public const string PricesView = nameof(PricesView);
    public const string PricesManage = nameof(PricesManage);
    public const string WalletsView = nameof(WalletsView);
    public const string ChargebackExport = nameof(ChargebackExport);
    public const string SignInSettings = nameof(SignInSettings);
    public const string PeopleView = nameof(PeopleView);
    public const string PeopleManage = nameof(PeopleManage);
    public const string TransfersView = nameof(TransfersView);
    public const string NotificationsManage = nameof(NotificationsManage);
    public const string FinOps = nameof(FinOps);
    public const string ReconciliationView = nameof(ReconciliationView);
    public const string JobsView = nameof(JobsView);
    public const string JobsManage = nameof(JobsManage);
    public const string PromptsView = nameof(PromptsView);
    public const string RoutingView = nameof(RoutingView);
    public const string RoutingManage = nameof(RoutingManage);
    public const string ApiTokensManage = nameof(ApiTokensManage);

    /// <summary>Admin tokens for the management API (Features/AdminTokens): same policies as the cookie, this scheme.</summary>
    public const string AdminTokenScheme = "AdminToken";
    public const string AdminTokenClaim = "cp:admin_token";
    /// <summary>A team an admin token is limited to (one claim per team); see <see cref="Actor.TeamLimit"/>.</summary>
    public const string TeamLimitClaim = "cp:team";
    public const string ExperimentsView = nameof(ExperimentsView);
    public const string ExperimentsManage = nameof(ExperimentsManage);

    /// <summary>Gateway calls: a valid virtual API key (scheme <see cref="GatewayKeyScheme"/>), not a person.</summary>
    public const string GatewayCaller = nameof(GatewayCaller);
    public const string GatewayKeyScheme = "GatewayKey";
    public const string GatewayKeyClaim = "cp:key";

    /// <summary>SCIM provisioning: an identity provider's SCIM bearer token (scheme <see cref="ScimScheme"/>), not a person.</summary>
    public const string ScimClient = nameof(ScimClient);
    public const string ScimScheme = "ScimToken";
    public const string ScimProviderClaim = "cp:scim_provider";

    /// <summary>Which roles each policy admits.</summary>
    public static IReadOnlyDictionary<string, string[]> Grants { get; } = new Dictionary<string, string[]>
    {
        [SignedIn] = [.. Roles.All],
        [TeamsView] = [.. Roles.All],
        [TeamsManage] = [Roles.Owner, Roles.Admin],
        [KeysView] = [.. Roles.All],
        [KeysManage] = [Roles.Owner, Roles.Admin, Roles.TeamLead],
        [AuditView] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        // The call log: everyone, each seeing the calls of the teams they may see (CallQueries scopes the rows).
        [CallsView] = [.. Roles.All],
        // Which model aliases exist is what every caller needs to know; only Owner and Admin change them.
        [ModelsView] = [.. Roles.All],
        [ModelsManage] = [Roles.Owner, Roles.Admin],
        // Providers hold the upstream credentials: admins and the auditor see them (never the secret), admins change them.
        [ProvidersView] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        [ProvidersManage] = [Roles.Owner, Roles.Admin],
        // The price book is money: finance reads and adds prices with the admins; the auditor reads.
        [PricesView] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.Auditor],
        [PricesManage] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin],
        // Budgets: everyone sees the wallets of the teams they may see (WalletQueries scopes the rows); Owner and
        // FinanceAdmin change them (WalletService.MayEdit).
        [WalletsView] = [.. Roles.All],
        // The chargeback is every team's spend: the org-wide roles that deal with money or check it.
        [ChargebackExport] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.Auditor],
        // Who may sign in and with which role is the Owner's to see and to hand SCIM tokens out for.
        [SignInSettings] = [Roles.Owner],
        // Everyone's e-mail, role and teams: the admins; switching people off and signing them out: Owners only.
        [PeopleView] = [Roles.Owner, Roles.Admin],
        [PeopleManage] = [Roles.Owner],
        // Budget transfers: who manages or checks money; asking and deciding are checked by TransferService.
        [TransfersView] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.TeamLead, Roles.Auditor],
        // Channels, who gets what and the delivery log: the roles that deal with money and run the deployment.
        [NotificationsManage] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin],
        // Cost centres and scheduled chargeback exports: finance with the admins.
        [FinOps] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin],
        // Providers' bills against our log: the money roles and the auditor read; ReconciliationService lets the money roles import.
        [ReconciliationView] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.Auditor],
        // Background jobs (the Hangfire dashboard at /jobs): the admins run them; the auditor looks, read-only.
        [JobsView] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        [JobsManage] = [Roles.Owner, Roles.Admin],
        // The prompt registry: everyone reads the prompts of the teams they may see (and shared ones); PromptService lets
        // the owner team's lead and the admins change them.
        [PromptsView] = [.. Roles.All],
        // Routing rules and region locks decide where every call's data goes: the admins change them, the auditor reads.
        [RoutingView] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        [RoutingManage] = [Roles.Owner, Roles.Admin],
        // Admin tokens for the management API: the admins make them, never with more rights than their own.
        [ApiTokensManage] = [Roles.Owner, Roles.Admin],
        // Experiments and shadow tests route real traffic: the admins run them; the auditor and team leads watch.
        [ExperimentsView] = [Roles.Owner, Roles.Admin, Roles.Auditor, Roles.TeamLead],
        [ExperimentsManage] = [Roles.Owner, Roles.Admin],
    };

    public static void AddTo(AuthorizationOptions options)
    {
        foreach (var (policy, roles) in Grants)
            options.AddPolicy(policy, p => p.RequireAuthenticatedUser().RequireRole(roles));
        options.AddPolicy(GatewayCaller, p => p.AddAuthenticationSchemes(GatewayKeyScheme).RequireAuthenticatedUser().RequireClaim(GatewayKeyClaim));
        options.AddPolicy(ScimClient, p => p.AddAuthenticationSchemes(ScimScheme).RequireAuthenticatedUser().RequireClaim(ScimProviderClaim));
        options.FallbackPolicy = options.GetPolicy(SignedIn);
    }
}
