using ControlPlane.Features.AdminTokens;
using ControlPlane.Features.CallStats;
using ControlPlane.Features.Digests;
using ControlPlane.Features.Experiments;
using ControlPlane.Features.FinOps;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Limits;
using ControlPlane.Features.Live;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.Overview;
using ControlPlane.Features.People;
using ControlPlane.Features.People.Scim;
using ControlPlane.Features.Projects;
using ControlPlane.Features.Prompts;
using ControlPlane.Features.Reconciliation;
using ControlPlane.Features.Routing;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Transfers;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Prompts;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Auth;

/// <summary>One service method's rule: the people (by <see cref="ServiceRoles"/> label) it acts for, and how to ask it.</summary>
/// <param name="Allowed">Labels of the people the method acts for; everyone else is refused (or reads nothing).</param>
/// <param name="Call">Asks the method as the actor; true when it did what was asked (or read the Platform team's data).</param>
public sealed record ServiceRule(string[] Allowed, Func<ServiceProbe, Actor, Task<bool>> Call);

/// <summary>The people the walk asks as: every role, and a team lead both inside and outside the team acted on.</summary>
public static class ServiceRoles
{
    public const string Owner = "Owner";
    public const string Admin = "Admin";
    public const string FinanceAdmin = "FinanceAdmin";
    public const string LeadIn = "TeamLead of the team";
    public const string LeadOut = "TeamLead of another team";
    public const string Member = "Member of the team";
    public const string Auditor = "Auditor";

    /// <summary>Label → demo person. The team acted on is Platform: Leo leads it, Mia is a member, Rita leads only Research.</summary>
    public static IReadOnlyDictionary<string, string> People { get; } = new Dictionary<string, string>
    {
        [Owner] = "olivia.owner@acme.test", [Admin] = "adam.admin@acme.test", [FinanceAdmin] = "fiona.finance@acme.test",
        [LeadIn] = "leo.lead@acme.test", [LeadOut] = "rita.research@acme.test", [Member] = "mia.member@acme.test",
        [Auditor] = "aria.auditor@acme.test",
    };

    public static readonly string[] Everyone = [Owner, Admin, FinanceAdmin, LeadIn, LeadOut, Member, Auditor];
    /// <summary>Who sees the Platform team: the org-wide roles, its lead and its member.</summary>
    public static readonly string[] SeeTheTeam = [Owner, Admin, FinanceAdmin, LeadIn, Member, Auditor];
    public static readonly string[] ManageTheTeam = [Owner, Admin, LeadIn];
    public static readonly string[] OwnerAndAdmin = [Owner, Admin];
    public static readonly string[] OwnerOnly = [Owner];
}

/// <summary>
/// Every public service method that acts for a person, with who it acts for. <see cref="ServiceAuthorizationMatrixTests{TApp}"/>
/// fails when a public method taking an <see cref="Actor"/> is missing here.
/// </summary>
public static class ServiceAuthorizationTable
{
    private static readonly DateTime Week = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly string[] FinOpsRoles = [ServiceRoles.Owner, ServiceRoles.Admin, ServiceRoles.FinanceAdmin];
    private const string WalkIdp = "walk-idp";

    /// <summary>Platform's calls of the probe's model: the probe's call only, so a read or export stays small.</summary>
    private static CallFilter PlatformCallFilter(ServiceProbe p) => new() { TeamId = p.Platform, Model = p.PlatformOnlyModel };

    /// <summary>The UTC day around the probe's call, narrowed to Platform.</summary>
    private static StatsRange PlatformCallRange(ServiceProbe p) => new(p.PlatformCallAt.AddDays(-1), p.PlatformCallAt.AddDays(1), p.Platform);

    public static IReadOnlyDictionary<string, ServiceRule> Rules { get; } = new Dictionary<string, ServiceRule>
    {
        // Teams
        ["TeamDirectory.VisibleToAsync(Actor, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<TeamDirectory, bool>(async s => (await s.VisibleToAsync(a)).Includes(p.Platform))),
        ["TeamDirectory.ManagedByAsync(Actor, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            (p, a) => p.Use<TeamDirectory, bool>(async s => (await s.ManagedByAsync(a)).Includes(p.Platform))),
        ["TeamDirectory.CreateAsync(Actor, String, Guid?, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<TeamDirectory, bool>(async s => (await s.CreateAsync(a, ServiceProbe.Unique("team"), p.Platform)).Succeeded)),
        ["TeamDirectory.SetPayloadRetentionAsync(Actor, Guid, Int32?, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<TeamDirectory, bool>(async s => (await s.SetPayloadRetentionAsync(a, p.Platform, null)).Succeeded)),
        ["TeamDirectory.AddMemberAsync(Actor, Guid, Guid, String, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) =>
            {
                await p.Use<TeamDirectory, bool>(async s => (await s.RemoveMemberAsync(Actor.CommandLine, p.Platform, p.Sam)).Succeeded);
                return await p.Use<TeamDirectory, bool>(async s => (await s.AddMemberAsync(a, p.Platform, p.Sam, TeamRoles.Member)).Succeeded);
            }),
        ["TeamDirectory.RemoveMemberAsync(Actor, Guid, Guid, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) =>
            {
                await p.Use<TeamDirectory, bool>(async s => (await s.AddMemberAsync(Actor.CommandLine, p.Platform, p.Sam, TeamRoles.Member)).Succeeded);
                return await p.Use<TeamDirectory, bool>(async s => (await s.RemoveMemberAsync(a, p.Platform, p.Sam)).Succeeded);
            }),

        // Projects
        ["ProjectService.ListAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<ProjectService, bool>(async s => (await s.ListAsync(a, p.Platform)).Any(x => x.Id == p.PlatformProject))),
        ["ProjectService.ListAsync(Guid, CancellationToken) as the signed-in person"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.AsSignedIn<ProjectService, bool>(a, async s => (await s.ListAsync(p.Platform)).Any(x => x.Id == p.PlatformProject))),
        ["ProjectService.CreateAsync(Actor, Guid, String, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            (p, a) => p.Use<ProjectService, bool>(async s => (await s.CreateAsync(a, p.Platform, ServiceProbe.Unique("project"))).Succeeded)),

        // Keys and their limits
        ["KeyService.ListAsync(Actor, String, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<KeyService, bool>(async s => (await s.ListAsync(a)).Any(k => k.TeamId == p.Platform))),
        ["KeyService.CreateAsync(Actor, Guid, String, DateTime?, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            (p, a) => p.Use<KeyService, bool>(async s => (await s.CreateAsync(a, p.Platform, ServiceProbe.Unique("key"), null)).Succeeded)),
        ["KeyService.CreateAsync(Actor, Guid, String, DateTime?, Guid?, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            (p, a) => p.Use<KeyService, bool>(async s => (await s.CreateAsync(a, p.Platform, ServiceProbe.Unique("key"), null, p.PlatformProject)).Succeeded)),
        ["KeyService.RevokeAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            async (p, a) =>
            {
                var key = await p.NewPlatformKeyAsync();
                return await p.Use<KeyService, bool>(async s => (await s.RevokeAsync(a, key.Id)).Succeeded);
            }),
        ["KeyService.RevokeByPrefixAsync(Actor, String, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            async (p, a) =>
            {
                var key = await p.NewPlatformKeyAsync();
                return await p.Use<KeyService, bool>(async s => (await s.RevokeByPrefixAsync(a, key.Prefix)).Succeeded);
            }),
        ["KeyService.RotateAsync(Actor, Guid, TimeSpan, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            async (p, a) =>
            {
                var key = await p.NewPlatformKeyAsync();
                return await p.Use<KeyService, bool>(async s => (await s.RotateAsync(a, key.Id, TimeSpan.FromMinutes(5))).Succeeded);
            }),
        // Admin tokens (management API): Owner and Admin make, list and revoke them (an Admin only their own).
        ["AdminTokenService.MayManage(Actor)"] = new(ServiceRoles.OwnerAndAdmin, (_, a) => Task.FromResult(AdminTokenService.MayManage(a))),
        ["AdminTokenService.CreateAsync(Actor, AdminTokenForm, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<AdminTokenService, bool>(async s => (await s.CreateAsync(a, new AdminTokenForm { Name = ServiceProbe.Unique("walk"), Role = ControlPlane.Features.People.Roles.Auditor })).Succeeded)),
        ["AdminTokenService.ListAsync(Actor, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<AdminTokenService, bool>(async s =>
            {
                await s.CreateAsync(a, new AdminTokenForm { Name = ServiceProbe.Unique("walk"), Role = ControlPlane.Features.People.Roles.Auditor });
                return (await s.ListAsync(a)).Count > 0;
            })),
        ["AdminTokenService.RevokeAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<AdminTokenService, bool>(async s =>
            {
                // Made by the actor where they may (an Admin revokes only their own), else by the Owner.
                var creator = AdminTokenService.MayManage(a) ? a : await p.App.ActorAsync(ServiceRoles.People[ServiceRoles.Owner]);
                var made = await s.CreateAsync(creator, new AdminTokenForm { Name = ServiceProbe.Unique("walk"), Role = ControlPlane.Features.People.Roles.Auditor });
                Assert.True(made.Succeeded, made.Error);
                return (await s.RevokeAsync(a, made.Value!.Token.Id)).Succeeded;
            })),
        // Tightening only: a lead may always make a key of their team safer (lifting is KeyLimitsServiceTests' business).
        ["KeyLimitsService.SetAsync(Actor, Guid, Int32?, Int32?, Int32?, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            async (p, a) =>
            {
                var key = await p.NewPlatformKeyAsync();
                return await p.Use<KeyLimitsService, bool>(async s => (await s.SetAsync(a, key.Id, 10, 1000, 5)).Succeeded);
            }),

        // Calls and spend: reading the Platform team's calls
        ["CallQueries.PageAsync(Actor, CallFilter, CallSort, Int32, CallCursor, CallCursor, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<CallQueries, bool>(async s => (await s.PageAsync(a, PlatformCallFilter(p), take: 10)).Rows.Any(r => r.Id == p.PlatformCall))),
        ["CallQueries.StreamAsync(Actor, CallFilter, CallSort, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<CallQueries, bool>(async s =>
            {
                var seen = false;
                await foreach (var row in s.StreamAsync(a, PlatformCallFilter(p))) seen |= row.Id == p.PlatformCall;
                return seen;
            })),
        ["CallQueries.FindAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<CallQueries, bool>(async s => (await s.FindAsync(a, p.PlatformCall))?.Id == p.PlatformCall)),
        ["CallQueries.ProvidersAsync(Actor, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<CallQueries, bool>(async s => (await s.ProvidersAsync(a)).Contains(p.PlatformOnlyProvider))),
        ["CallQueries.ErrorClassesAsync(Actor, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<CallQueries, bool>(async s => (await s.ErrorClassesAsync(a)).Contains(p.PlatformOnlyError))),
        ["CallDetailQueries.FindAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<CallDetailQueries, bool>(async s => (await s.FindAsync(a, p.PlatformCall))?.Call.Id == p.PlatformCall)),
        ["CallExport.WriteCsvAsync(Stream, Actor, CallFilter, CallSort, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<CallExport, bool>(async s =>
            {
                using var csv = new MemoryStream();
                await s.WriteCsvAsync(csv, a, PlatformCallFilter(p), CallSort.Newest);
                return System.Text.Encoding.UTF8.GetString(csv.ToArray()).Contains($"req_{p.PlatformCall:N}", StringComparison.Ordinal);
            })),
        ["CallStatsQueries.ReadAsync(Actor, StatsRange, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<CallStatsQueries, bool>(async s => (await s.ReadAsync(a, PlatformCallRange(p))).Models.Any(m => m.Provider == p.PlatformOnlyProvider))),
        ["DailyStats.ReadAsync(Actor, StatsRange, IReadOnlyCollection`1, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<DailyStats, bool>(async s => (await s.ReadAsync(a, PlatformCallRange(p), [p.PlatformOnlyModel])).ErrorRate.Any(d => d.Model == p.PlatformOnlyModel))),
        ["CallQueries.TotalsAsync(Actor, CallFilter, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<CallQueries, bool>(async s => (await s.TotalsAsync(a, new CallFilter { TeamId = p.Platform })).Calls > 0)),
        ["CallQueries.ModelsAsync(Actor, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<CallQueries, bool>(async s => (await s.ModelsAsync(a)).Contains(p.PlatformOnlyModel))),
        // The Overview and /hubs/spend: a Member sees Platform's spend through its keys, a lead through the team.
        ["OverviewScopes.ForAsync(Actor, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<OverviewScopes, bool>(async s => (await s.ForAsync(a)).Includes(p.Platform, p.PlatformCallKey))),
        ["SpendAudience.ScopeOfAsync(Actor, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<SpendAudience, bool>(async s => (await s.ScopeOfAsync(a, CancellationToken.None)) is var scope
                && (scope.Everything || scope.TeamIds.Contains(p.Platform) || scope.KeyIds.Contains(p.PlatformCallKey)))),
        ["WalletWatch.ReadAsync(Actor, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            async (p, a) =>
            {
                var platformWallet = await p.ExhaustedPlatformWalletAsync();
                return await p.Use<WalletWatch, bool>(async s => (await s.ReadAsync(a)).Any(o => o.WalletId == platformWallet));
            }),
        ["DigestBuilder.BuildAsync(Actor, DigestPeriod, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<DigestBuilder, bool>(async s => (await s.BuildAsync(a, DigestPeriod.Daily(DateTime.UtcNow))).Scope.Includes(p.Platform, p.PlatformCallKey))),
        ["DigestPreferences.CadenceOfAsync(Actor, CancellationToken)"] = new([ServiceRoles.FinanceAdmin, ServiceRoles.LeadIn, ServiceRoles.LeadOut],
            (p, a) => p.Use<DigestPreferences, bool>(async s => await s.CadenceOfAsync(a) != DigestCadences.None)),
        ["DigestPreferences.ChooseAsync(Actor, String, CancellationToken)"] = new([ServiceRoles.FinanceAdmin, ServiceRoles.LeadIn, ServiceRoles.LeadOut],
            (p, a) => p.Use<DigestPreferences, bool>(async s => (await s.ChooseAsync(a, DigestCadences.Daily)).Succeeded)),
        ["CostCentres.MayEdit(Actor)"] = new(FinOpsRoles, (_, a) => Task.FromResult(CostCentres.MayEdit(a))),
        ["CostCentres.SetTeamAsync(Actor, Guid, String, CancellationToken)"] = new(FinOpsRoles,
            (p, a) => p.Use<CostCentres, bool>(async s => (await s.SetTeamAsync(a, p.Platform, "CC-WALK")).Succeeded)),
        ["CostCentres.SetWalletAsync(Actor, Guid, String, CancellationToken)"] = new(FinOpsRoles,
            async (p, a) =>
            {
                var wallet = (await p.Use<WalletQueries, WalletOverview>(s => s.OverviewAsync(Actor.CommandLine))).Wallets[0].Id;
                return await p.Use<CostCentres, bool>(async s => (await s.SetWalletAsync(a, wallet, "CC-WALK")).Succeeded);
            }),
        ["ChargebackExports.MayManage(Actor)"] = new(FinOpsRoles, (_, a) => Task.FromResult(ChargebackExports.MayManage(a))),
        ["ChargebackExports.SchedulesAsync(Actor, CancellationToken)"] = new(FinOpsRoles,
            async (p, a) => { var id = await FinOpsScheduleAsync(p); return await p.Use<ChargebackExports, bool>(async s => (await s.SchedulesAsync(a)).Any(r => r.Id == id)); }),
        ["ChargebackExports.RunsAsync(Actor, Int32, CancellationToken)"] = new(FinOpsRoles,
            async (p, a) =>
            {
                var id = await FinOpsScheduleAsync(p);
                var run = await p.Use<ChargebackExports, Guid>(async s => (await s.RunNowAsync(Actor.CommandLine, id)).Value!.Id);
                return await p.Use<ChargebackExports, bool>(async s => (await s.RunsAsync(a, 500)).Any(r => r.Id == run));
            }),
        ["ChargebackExports.CreateAsync(Actor, ExportForm, CancellationToken)"] = new(FinOpsRoles,
            (p, a) => p.Use<ChargebackExports, bool>(async s => (await s.CreateAsync(a, FinOpsForm())).Succeeded)),
        ["ChargebackExports.DeleteAsync(Actor, Guid, CancellationToken)"] = new(FinOpsRoles,
            async (p, a) => { var id = await FinOpsScheduleAsync(p); return await p.Use<ChargebackExports, bool>(async s => (await s.DeleteAsync(a, id)).Succeeded); }),
        // The webhook's host does not resolve here: a served run is stored as failed, a refused one is not run at all.
        ["ChargebackExports.RunNowAsync(Actor, Guid, CancellationToken)"] = new(FinOpsRoles,
            async (p, a) => { var id = await FinOpsScheduleAsync(p); return await p.Use<ChargebackExports, bool>(async s => (await s.RunNowAsync(a, id)).Succeeded); }),
        ["TeamSpendByDay.ReadAsync(Actor, SpendRange, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<TeamSpendByDay, bool>(async s => (await s.ReadAsync(a, SpendRange.Month)).Teams.Any(t => t.TeamId == p.Platform))),

        // Wallets
        ["WalletService.MayEdit(Actor)"] = new([ServiceRoles.Owner, ServiceRoles.FinanceAdmin], (_, a) => Task.FromResult(WalletService.MayEdit(a))),
        ["WalletService.SaveAsync(Actor, String, Guid, WalletForm, CancellationToken)"] = new([ServiceRoles.Owner, ServiceRoles.FinanceAdmin],
            async (p, a) =>
            {
                var key = await p.NewPlatformKeyAsync();
                return await p.Use<WalletService, bool>(async s => (await s.SaveAsync(a, WalletOwners.Key, key.Id, new WalletForm { Limit = 1m })).Succeeded);
            }),
        ["WalletQueries.OverviewAsync(Actor, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            (p, a) => p.Use<WalletQueries, bool>(async s => (await s.OverviewAsync(a)).Wallets.Any(w => w.OwnerKind == WalletOwners.Team && w.OwnerId == p.Platform))),

        // The price book
        ["PriceBookService.MayEdit(Actor)"] = new([ServiceRoles.Owner, ServiceRoles.Admin, ServiceRoles.FinanceAdmin], (_, a) => Task.FromResult(PriceBookService.MayEdit(a))),
        ["PriceBookService.AddAsync(Actor, PriceForm, CancellationToken)"] = new([ServiceRoles.Owner, ServiceRoles.Admin, ServiceRoles.FinanceAdmin],
            (p, a) => p.Use<PriceBookService, bool>(async s => (await s.AddAsync(a, new PriceForm
            {
                ProviderId = p.Provider, UpstreamModel = ServiceProbe.Unique("model"), InputPerMillion = 1m, OutputPerMillion = 2m,
            })).Succeeded)),

        // Providers and the model catalogue
        ["ProviderService.SaveAsync(Actor, Guid?, ProviderForm, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<ProviderService, bool>(async s => (await s.SaveAsync(a, null, new ProviderForm
            {
                Name = ServiceProbe.Unique("provider"), BaseUrl = "https://api.example.com/v1", Enabled = false,
            })).Succeeded)),
        ["ProviderService.SetEnabledAsync(Actor, Guid, Boolean, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<ProviderService, bool>(async s => (await s.SetEnabledAsync(a, p.Provider, true)).Succeeded)),
        // A provider that does not exist: the allowed hear "not found", the rest "not allowed"; no packet is ever sent.
        ["ProviderService.TestConnectionAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<ProviderService, bool>(async s => (await s.TestConnectionAsync(a, Guid.NewGuid())).Failure != ConnectionFailures.NotAllowed)),
        ["ProviderService.TestConnectionAsync(Guid, CancellationToken) as the signed-in person"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.AsSignedIn<ProviderService, bool>(a, async s => (await s.TestConnectionAsync(Guid.NewGuid())).Failure != ConnectionFailures.NotAllowed)),
        ["CatalogueService.SaveAsync(Actor, Guid?, ModelForm, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<CatalogueService, bool>(async s => (await s.SaveAsync(a, null, new ModelForm
            {
                Alias = ServiceProbe.Unique("alias"), Enabled = false, Targets = [new TargetForm { ProviderId = p.Provider, UpstreamModel = "m" }],
            })).Succeeded)),

        // Routing rules and region locks: the admins change them, the auditor reads. Walk rules block only a model nobody calls.
        ["RoutingService.MayView(Actor)"] = new(RoutingReaders, (_, a) => Task.FromResult(RoutingService.MayView(a))),
        ["RoutingService.ListAsync(Actor, CancellationToken)"] = new(RoutingReaders,
            (p, a) => p.Use<RoutingService, bool>(async s => (await s.ListAsync(a)).Succeeded)),
        ["RoutingService.ListLocksAsync(Actor, CancellationToken)"] = new(RoutingReaders,
            (p, a) => p.Use<RoutingService, bool>(async s => (await s.ListLocksAsync(a)).Succeeded)),
        ["RoutingService.SaveAsync(Actor, Guid?, RuleForm, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<RoutingService, bool>(async s => (await s.SaveAsync(a, null, WalkRule())).Succeeded)),
        ["RoutingService.MoveAsync(Actor, Guid, Int32, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) =>
            {
                await WalkRuleAsync(p);
                var id = await WalkRuleAsync(p);
                return await p.Use<RoutingService, bool>(async s => (await s.MoveAsync(a, id, -1)).Succeeded);
            }),
        ["RoutingService.SetEnabledAsync(Actor, Guid, Boolean, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) => { var id = await WalkRuleAsync(p); return await p.Use<RoutingService, bool>(async s => (await s.SetEnabledAsync(a, id, false)).Succeeded); }),
        ["RoutingService.DeleteAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) => { var id = await WalkRuleAsync(p); return await p.Use<RoutingService, bool>(async s => (await s.DeleteAsync(a, id)).Succeeded); }),
        // Locks Platform to a region and lifts it again at the command line, so the fixture's later calls are not refused.
        ["RoutingService.SetRegionLockAsync(Actor, Guid?, String, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<RoutingService, bool>(async s =>
            {
                var set = await s.SetRegionLockAsync(a, p.Platform, "walk-region");
                if (set.Succeeded) Assert.True((await s.SetRegionLockAsync(Actor.CommandLine, p.Platform, null)).Succeeded);
                return set.Succeeded;
            })),
        ["RouteExplainer.ExplainAsync(Actor, ExplainForm, CancellationToken)"] = new(RoutingReaders,
            (p, a) => p.Use<RouteExplainer, bool>(async s => (await s.ExplainAsync(a, new ExplainForm
            {
                Request = """{"model":"walk-nothing","messages":[{"role":"user","content":"hi"}]}""",
            })).Succeeded)),

        // People
        ["PeopleDirectory.MayView(Actor)"] = new(ServiceRoles.OwnerAndAdmin, (_, a) => Task.FromResult(PeopleDirectory.MayView(a))),
        ["PeopleDirectory.MayManage(Actor)"] = new(ServiceRoles.OwnerOnly, (_, a) => Task.FromResult(PeopleDirectory.MayManage(a))),
        ["PeopleDirectory.DirectoryAsync(Actor, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<PeopleDirectory, bool>(async s => (await s.DirectoryAsync(a)).Any(x => x.Id == p.Sam))),
        ["PeopleDirectory.SignOutEverywhereAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.OwnerOnly,
            (p, a) => p.Use<PeopleDirectory, bool>(async s => (await s.SignOutEverywhereAsync(a, p.Sam)).Succeeded)),
        ["PeopleDirectory.SetActiveAsync(Actor, Guid, Boolean, CancellationToken)"] = new(ServiceRoles.OwnerOnly,
            (p, a) => p.Use<PeopleDirectory, bool>(async s =>
            {
                var off = await s.SetActiveAsync(a, p.Sam, false);
                if (off.Succeeded) Assert.True((await s.SetActiveAsync(Actor.CommandLine, p.Sam, true)).Succeeded);
                return off.Succeeded;
            })),
        ["PeopleDirectory.CreateOwnerAsync(Actor, String, String, CancellationToken)"] = new(ServiceRoles.OwnerOnly,
            (p, a) => p.Use<PeopleDirectory, bool>(async s => (await s.CreateOwnerAsync(a, $"{ServiceProbe.Unique("owner")}@acme.test", "Another Owner")).Succeeded)),
        // SCIM tokens (an identity provider's key to the directory): Owners only.
        ["ScimTokens.MayManage(Actor)"] = new(ServiceRoles.OwnerOnly, (_, a) => Task.FromResult(ScimTokens.MayManage(a))),
        ["ScimTokens.CreateAsync(Actor, String, CancellationToken)"] = new(ServiceRoles.OwnerOnly,
            async (p, a) => (await p.ScimTokensWithProvider(WalkIdp).CreateAsync(a, WalkIdp)).Succeeded),
        ["ScimTokens.RevokeAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.OwnerOnly,
            async (p, a) =>
            {
                var tokens = p.ScimTokensWithProvider(WalkIdp);
                var created = await tokens.CreateAsync(Actor.CommandLine, WalkIdp);
                Assert.True(created.Succeeded, created.Error);
                return (await tokens.RevokeAsync(a, created.Value!.Token.Id)).Succeeded;
            }),
        ["SignInLinks.IssueAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.OwnerOnly,
            (p, a) => p.Use<SignInLinks, bool>(async s => (await s.IssueAsync(a, p.Sam)).Succeeded)),
        // Transfers: a lead asks for their teams' wallets, finance for any; finance decides, never on its own request.
        ["TransferService.MayDecide(Actor)"] = new([ServiceRoles.Owner, ServiceRoles.FinanceAdmin], (_, a) => Task.FromResult(TransferService.MayDecide(a))),
        ["TransferService.MayRequest(Actor)"] = new([ServiceRoles.Owner, ServiceRoles.FinanceAdmin, ServiceRoles.LeadIn, ServiceRoles.LeadOut],
            (_, a) => Task.FromResult(TransferService.MayRequest(a))),
        ["TransferService.RequestAsync(Actor, TransferForm, CancellationToken)"] = new([ServiceRoles.Owner, ServiceRoles.FinanceAdmin, ServiceRoles.LeadIn],
            async (p, a) => (await p.Use<TransferService, ControlPlane.Infrastructure.Outcome<Transfer>>(async s => await s.RequestAsync(a, await PlatformTopUpAsync(p)))).Succeeded),
        ["TransferService.ApproveAsync(Actor, Guid, String, CancellationToken)"] = new([ServiceRoles.Owner, ServiceRoles.FinanceAdmin],
            async (p, a) => (await p.Use<TransferService, ControlPlane.Infrastructure.Outcome<Transfer>>(async s => await s.ApproveAsync(a, await PendingPlatformTransferAsync(p), "ok"))).Succeeded),
        ["TransferService.RejectAsync(Actor, Guid, String, CancellationToken)"] = new([ServiceRoles.Owner, ServiceRoles.FinanceAdmin],
            async (p, a) => (await p.Use<TransferService, ControlPlane.Infrastructure.Outcome<Transfer>>(async s => await s.RejectAsync(a, await PendingPlatformTransferAsync(p), "no"))).Succeeded),
        ["TransferQueries.ListAsync(Actor, TransferView, TransferFilter, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            async (p, a) =>
            {
                var id = await PendingPlatformTransferAsync(p);
                return await p.Use<TransferQueries, bool>(async s => (await s.ListAsync(a, TransferView.History)).Any(t => t.Id == id));
            }),
        ["TransferQueries.HistoryAsync(Actor, TransferFilter, TransferCursor, Int32, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            async (p, a) =>
            {
                var id = await PendingPlatformTransferAsync(p);
                return await p.Use<TransferQueries, bool>(async s => (await s.HistoryAsync(a, new TransferFilter(), null, 200)).Rows.Any(t => t.Id == id));
            }),

        // Notifications: channels, who gets what, ladders, test sends and the delivery log are the money roles'.
        ["NotificationSettings.MayManage(Actor)"] = new(NotifyRoles, (_, a) => Task.FromResult(NotificationSettings.MayManage(a))),
        ["NotificationSettings.ChannelsAsync(Actor, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var c = await NotifyChannelAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.ChannelsAsync(a)).Any(r => r.Id == c)); }),
        ["NotificationSettings.ChannelFormAsync(Actor, Guid, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var c = await NotifyChannelAsync(p); return await p.Use<NotificationSettings, bool>(async s => await s.ChannelFormAsync(a, c) is not null); }),
        ["NotificationSettings.SaveChannelAsync(Actor, Guid?, ChannelForm, CancellationToken)"] = new(NotifyRoles,
            (p, a) => p.Use<NotificationSettings, bool>(async s => (await s.SaveChannelAsync(a, null, NotifyForm())).Succeeded)),
        ["NotificationSettings.DeleteChannelAsync(Actor, Guid, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var c = await NotifyChannelAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.DeleteChannelAsync(a, c)).Succeeded); }),
        ["NotificationSettings.SubscriptionsAsync(Actor, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var sub = await NotifySubscriptionAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.SubscriptionsAsync(a)).Any(r => r.Id == sub)); }),
        ["NotificationSettings.AddSubscriptionAsync(Actor, SubscriptionForm, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var c = await NotifyChannelAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.AddSubscriptionAsync(a, new SubscriptionForm { ChannelId = c, AlertKind = AlertKinds.Anomaly, TeamId = p.Platform })).Succeeded); }),
        ["NotificationSettings.RemoveSubscriptionAsync(Actor, Guid, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var sub = await NotifySubscriptionAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.RemoveSubscriptionAsync(a, sub)).Succeeded); }),
        // The channel's URL answers nothing: a served test send fails for the network, a refused one for the role.
        ["NotificationSettings.SendTestAsync(Actor, Guid, String, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var c = await NotifyChannelAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.SendTestAsync(a, c, null)).Error?.StartsWith("Only an Owner", StringComparison.Ordinal) != true); }),
        ["NotificationSettings.DeliveriesAsync(Actor, DeliveryQuery, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var d = await NotifyFailedDeliveryAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.DeliveriesAsync(a, new DeliveryQuery(Take: 200))).Rows.Any(r => r.Id == d)); }),
        ["NotificationSettings.RetryAsync(Actor, Guid, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var d = await NotifyFailedDeliveryAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.RetryAsync(a, d)).Succeeded); }),
        ["NotificationSettings.LadderAsync(Actor, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var step = await NotifyStepAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.LadderAsync(a)).Any(r => r.Id == step)); }),
        ["NotificationSettings.AddStepAsync(Actor, EscalationStepForm, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var c = await NotifyChannelAsync(p); var w = await NotifyWalletAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.AddStepAsync(a, new EscalationStepForm { WalletId = w, ChannelId = c, Percent = 90 })).Succeeded); }),
        ["NotificationSettings.RemoveStepAsync(Actor, Guid, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var step = await NotifyStepAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.RemoveStepAsync(a, step)).Succeeded); }),
        ["NotificationSettings.SlackLinksAsync(Actor, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var l = await NotifySlackLinkAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.SlackLinksAsync(a)).Any(r => r.Id == l)); }),
        ["NotificationSettings.LinkSlackUserAsync(Actor, String, String, String, CancellationToken)"] = new(NotifyRoles,
            (p, a) => p.Use<NotificationSettings, bool>(async s => (await s.LinkSlackUserAsync(a, "TWALK", NotifySlackUser(), "mia.member@acme.test")).Succeeded)),
        ["NotificationSettings.UnlinkSlackUserAsync(Actor, Guid, CancellationToken)"] = new(NotifyRoles,
            async (p, a) => { var l = await NotifySlackLinkAsync(p); return await p.Use<NotificationSettings, bool>(async s => (await s.UnlinkSlackUserAsync(a, l)).Succeeded); }),
        ["TeamDirectory.SetKeyTransferApiAsync(Actor, Guid, Boolean, Boolean, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<TeamDirectory, bool>(async s => (await s.SetKeyTransferApiAsync(a, p.Platform, false, false)).Succeeded)),
        ["OfferedModels.SyncNowAsync(Actor, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            (p, a) => p.Use<OfferedModels, bool>(async s => (await s.SyncNowAsync(a)).Succeeded)),
        ["OfferedModels.AcceptAsync(Actor, Guid, OfferAcceptance, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) => { var id = await OfferAsync(p); return await p.Use<OfferedModels, bool>(async s => (await s.AcceptAsync(a, id, new OfferAcceptance { Alias = $"walk-{Guid.NewGuid():N}"[..16], InputPerMillion = 1m, OutputPerMillion = 1m })).Succeeded); }),
        ["OfferedModels.DismissAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) => { var id = await OfferAsync(p); return await p.Use<OfferedModels, bool>(async s => (await s.DismissAsync(a, id)).Succeeded); }),

        // Reconciliation: the money roles and the auditor read reports; the money roles import, fetch and set admin keys.
        // Experiments and shadow tests: the admins run them; the auditor and every team lead read them.
        ["ExperimentService.MayRead(Actor)"] = new(ExperimentReaders, (_, a) => Task.FromResult(ExperimentService.MayRead(a))),
        ["ExperimentService.MayWrite(Actor)"] = new(ServiceRoles.OwnerAndAdmin, (_, a) => Task.FromResult(ExperimentService.MayWrite(a))),
        ["ExperimentService.ListAsync(Actor, CancellationToken)"] = new(ExperimentReaders,
            async (p, a) => { var id = await ExperimentDraftAsync(p); return await p.Use<ExperimentService, bool>(async s => (await s.ListAsync(a)).Any(e => e.Id == id)); }),
        ["ExperimentService.ResultsAsync(Actor, Guid, CancellationToken)"] = new(ExperimentReaders,
            async (p, a) => { var id = await ExperimentDraftAsync(p); return await p.Use<ExperimentService, bool>(async s => await s.ResultsAsync(a, id) is not null); }),
        ["ExperimentService.SaveAsync(Actor, Guid?, ExperimentForm, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) => { var form = await ExperimentFormAsync(p); return await p.Use<ExperimentService, bool>(async s => (await s.SaveAsync(a, null, form)).Succeeded); }),
        ["ExperimentService.StartAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) => { var id = await ExperimentDraftAsync(p); return await p.Use<ExperimentService, bool>(async s => (await s.StartAsync(a, id)).Succeeded); }),
        ["ExperimentService.StopAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) => { var id = await ExperimentDraftAsync(p, ExperimentStatus.Running); return await p.Use<ExperimentService, bool>(async s => (await s.StopAsync(a, id)).Succeeded); }),
        ["ExperimentService.ConcludeAsync(Actor, Guid, String, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) => { var id = await ExperimentDraftAsync(p, ExperimentStatus.Running); return await p.Use<ExperimentService, bool>(async s => (await s.ConcludeAsync(a, id, "B")).Succeeded); }),
        ["ExperimentService.ArchiveAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) => { var id = await ExperimentDraftAsync(p); return await p.Use<ExperimentService, bool>(async s => (await s.ArchiveAsync(a, id)).Succeeded); }),
        ["ShadowService.ReportsAsync(Actor, CancellationToken)"] = new(ExperimentReaders,
            async (p, a) => { var id = await ShadowTestAsync(p); return await p.Use<ShadowService, bool>(async s => (await s.ReportsAsync(a)).Any(r => r.Test.Id == id)); }),
        ["ShadowService.SaveAsync(Actor, Guid?, ShadowForm, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) => { var form = await ShadowFormAsync(p); return await p.Use<ShadowService, bool>(async s => (await s.SaveAsync(a, null, form)).Succeeded); }),
        ["ShadowService.SetEnabledAsync(Actor, Guid, Boolean, CancellationToken)"] = new(ServiceRoles.OwnerAndAdmin,
            async (p, a) => { var id = await ShadowTestAsync(p); return await p.Use<ShadowService, bool>(async s => (await s.SetEnabledAsync(a, id, true)).Succeeded); }),

        ["ReconciliationService.MayRead(Actor)"] = new(ReconReaders, (_, a) => Task.FromResult(ReconciliationService.MayRead(a))),
        ["ReconciliationService.MayWrite(Actor)"] = new(ReconWriters, (_, a) => Task.FromResult(ReconciliationService.MayWrite(a))),
        ["ReconciliationService.ListAsync(Actor, Int32, CancellationToken)"] = new(ReconReaders,
            async (p, a) => { var id = await ReconReportAsync(p); return await p.Use<ReconciliationService, bool>(async s => (await s.ListAsync(a)).Any(r => r.Id == id)); }),
        ["ReconciliationService.FindAsync(Actor, Guid, CancellationToken)"] = new(ReconReaders,
            async (p, a) => { var id = await ReconReportAsync(p); return await p.Use<ReconciliationService, bool>(async s => await s.FindAsync(a, id) is not null); }),
        ["ReconciliationService.ProvidersAsync(Actor, CancellationToken)"] = new(ReconReaders,
            (p, a) => p.Use<ReconciliationService, bool>(async s => (await s.ProvidersAsync(a)).Count > 0)),
        ["ReconciliationService.SourcesAsync(Actor, CancellationToken)"] = new(ReconReaders,
            async (p, a) => { var name = await ReconSourceAsync(p); return await p.Use<ReconciliationService, bool>(async s => (await s.SourcesAsync(a)).Any(v => v.Provider == name)); }),
        ["ReconciliationService.ImportAsync(Actor, String, String, Stream, String, CancellationToken)"] = new(ReconWriters,
            async (p, a) => { var name = await ReconProviderAsync(p); return await p.Use<ReconciliationService, bool>(async s => (await s.ImportAsync(a, name, BillFormats.GenericCsv, ReconCsv(name), "walk.csv")).Succeeded); }),
        // A day not yet over: whoever may fetch is told so; everyone else is refused before that.
        ["ReconciliationService.FetchAsync(Actor, String, DateOnly, CancellationToken)"] = new(ReconWriters,
            async (p, a) => { var name = await ReconProviderAsync(p); return await p.Use<ReconciliationService, bool>(async s => (await s.FetchAsync(a, name, new DateOnly(2999, 1, 1))).Error != ReconciliationService.WriteRefusal); }),
        ["ReconciliationService.SaveSourceAsync(Actor, String, String, String, String, CancellationToken)"] = new(ReconWriters,
            async (p, a) => { var name = await ReconProviderAsync(p); return await p.Use<ReconciliationService, bool>(async s => (await s.SaveSourceAsync(a, name, BillApis.OpenAI, "https://bills.example.com", "sk-admin-walk-00001234")).Succeeded); }),
        ["ProviderBillingIds.ListAsync(Actor, CancellationToken)"] = new(ReconReaders,
            async (p, a) => { var name = await ReconProviderAsync(p); return await p.Use<ProviderBillingIds, bool>(async s => (await s.ListAsync(a)).Any(v => v.Provider == name)); }),
        ["ProviderBillingIds.SaveAsync(Actor, String, String, CancellationToken)"] = new(ReconWriters,
            async (p, a) => { var name = await ReconProviderAsync(p); return await p.Use<ProviderBillingIds, bool>(async s => (await s.SaveAsync(a, name, "proj_walk")).Succeeded); }),

        // Prompt registry: the owner team's managers change prompts; whoever sees the team reads them (Tests/Prompts/PromptWalk).
        ["PromptService.CreateAsync(Actor, PromptForm, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            (p, a) => p.Use<PromptService, bool>(async s => (await s.CreateAsync(a, PromptWalk.NewForm(p))).Succeeded)),
        ["PromptService.AddVersionAsync(Actor, Guid, VersionForm, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            async (p, a) =>
            {
                var prompt = await PromptWalk.PlatformPromptAsync(p);
                return await p.Use<PromptService, bool>(async s => (await s.AddVersionAsync(a, prompt.Id, PromptWalk.NewForm(p).FirstVersion)).Succeeded);
            }),
        ["PromptService.UpdateSettingsAsync(Actor, Guid, String, Boolean, Boolean, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            async (p, a) =>
            {
                var prompt = await PromptWalk.PlatformPromptAsync(p);
                return await p.Use<PromptService, bool>(async s => (await s.UpdateSettingsAsync(a, prompt.Id, "walked", true, false)).Succeeded);
            }),
        ["PromptService.MoveLabelAsync(Actor, Guid, String, Guid, String, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            async (p, a) =>
            {
                var prompt = await PromptWalk.PlatformPromptAsync(p);
                var version = await PromptWalk.FirstVersionAsync(p, prompt.Id);
                return await p.Use<PromptService, bool>(async s => (await s.MoveLabelAsync(a, prompt.Id, PromptLabel.Staging, version, null)).Succeeded);
            }),
        ["PromptService.DecideLabelMoveAsync(Actor, Guid, Boolean, String, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            async (p, a) =>
            {
                var move = await PromptWalk.PendingMoveAsync(p);
                return await p.Use<PromptService, bool>(async s => (await s.DecideLabelMoveAsync(a, move, true, null)).Succeeded);
            }),
        ["PromptQueries.ListAsync(Actor, String, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            async (p, a) =>
            {
                var prompt = await PromptWalk.PlatformPromptAsync(p);
                return await p.Use<PromptQueries, bool>(async q => (await q.ListAsync(a, prompt.Name)).Any(r => r.Id == prompt.Id));
            }),
        ["PromptQueries.FindAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            async (p, a) =>
            {
                var prompt = await PromptWalk.PlatformPromptAsync(p);
                return await p.Use<PromptQueries, bool>(async q => await q.FindAsync(a, prompt.Id) is not null);
            }),
        ["PromptQueries.MetricsAsync(Actor, Guid, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            async (p, a) =>
            {
                var prompt = await PromptWalk.PlatformPromptAsync(p);
                return await p.Use<PromptQueries, bool>(async q => (await q.MetricsAsync(a, prompt.Id)).Count == 1);
            }),
        ["PromptExchange.ExportAsync(Actor, Guid?, CancellationToken)"] = new(ServiceRoles.SeeTheTeam,
            async (p, a) =>
            {
                var prompt = await PromptWalk.PlatformPromptAsync(p);
                return await p.Use<PromptExchange, bool>(async e => (await e.ExportAsync(a, null)).Contains(prompt.Name, StringComparison.Ordinal));
            }),
        ["PromptExchange.ImportAsync(Actor, String, Guid, CancellationToken)"] = new(ServiceRoles.ManageTheTeam,
            (p, a) => p.Use<PromptExchange, bool>(async e => (await e.ImportAsync(a, PromptWalk.ImportFile(ServiceProbe.Unique("walk-import")), p.Platform)).Succeeded)),
    };

    /// <summary>A model one of the providers newly lists, waiting for an admin (as the model list sync leaves it).</summary>
    private static async Task<Guid> OfferAsync(ServiceProbe p)
    {
        await using var db = p.App.OpenDb();
        var provider = await db.Providers.AsNoTracking().OrderBy(x => x.Name).Select(x => x.Id).FirstAsync();
        var offer = new OfferedModel
        {
            Id = Guid.CreateVersion7(), ProviderId = provider, UpstreamModel = $"walk-{Guid.NewGuid():N}", Status = OfferedModelStatuses.Offered,
            FirstSeenAt = DateTime.UtcNow, LastSeenAt = DateTime.UtcNow,
        };
        db.Add(offer);
        await db.SaveChangesAsync();
        return offer.Id;
    }

    private static string[] RoutingReaders => [ServiceRoles.Owner, ServiceRoles.Admin, ServiceRoles.Auditor];

    /// <summary>A rule that blocks a model nobody calls, so the walk's rules never route the fixture's calls.</summary>
    private static RuleForm WalkRule() => new()
    {
        Name = ServiceProbe.Unique("walk-rule"), Models = ServiceProbe.Unique("walk-model"), Kind = RuleActionKinds.Block, Message = "walk",
    };

    private static async Task<Guid> WalkRuleAsync(ServiceProbe p)
    {
        var made = await p.Use<RoutingService, ControlPlane.Infrastructure.Outcome<RoutingRule>>(s => s.SaveAsync(Actor.CommandLine, null, WalkRule()));
        Assert.True(made.Succeeded, made.Error);
        return made.Value!.Id;
    }

    private static string[] ExperimentReaders => [ServiceRoles.Owner, ServiceRoles.Admin, ServiceRoles.Auditor, ServiceRoles.LeadIn, ServiceRoles.LeadOut];

    /// <summary>An experiment put straight in the database on an alias of its own (so it overlaps nothing), in the given status.</summary>
    private static async Task<Guid> ExperimentDraftAsync(ServiceProbe p, ExperimentStatus status = ExperimentStatus.Draft)
    {
        await using var db = p.App.OpenDb();
        var experiment = new Experiment
        {
            Id = Guid.NewGuid(), Name = $"walk-{Guid.NewGuid():N}"[..16], Model = $"walk-{Guid.NewGuid():N}", Status = status, CreatedAt = DateTime.UtcNow,
        };
        experiment.Variants.Add(new ExperimentVariant { Id = Guid.NewGuid(), ExperimentId = experiment.Id, Name = "A", TargetAlias = "gpt-4o-mini", Percent = 50, Position = 0 });
        experiment.Variants.Add(new ExperimentVariant { Id = Guid.NewGuid(), ExperimentId = experiment.Id, Name = "B", TargetAlias = "gpt-4o", Percent = 50, Position = 1 });
        db.Add(experiment);
        await db.SaveChangesAsync();
        return experiment.Id;
    }

    /// <summary>A valid new experiment on gpt-4o-mini; the ones the walk left there are archived first (one experiment per alias).</summary>
    private static async Task<ExperimentForm> ExperimentFormAsync(ServiceProbe p)
    {
        await using var db = p.App.OpenDb();
        await db.Experiments.Where(e => e.Model == "gpt-4o-mini").ExecuteUpdateAsync(u => u.SetProperty(e => e.Status, ExperimentStatus.Archived));
        return new ExperimentForm
        {
            Name = "walk", Model = "gpt-4o-mini",
            Variants = [new() { Name = "A", TargetAlias = "gpt-4o-mini", Percent = 50 }, new() { Name = "B", TargetAlias = "gpt-4o", Percent = 50 }],
        };
    }

    /// <summary>A disabled shadow test of gpt-4o-mini by gpt-4o, paid by an active key.</summary>
    private static async Task<ShadowForm> ShadowFormAsync(ServiceProbe p)
    {
        await using var db = p.App.OpenDb();
        var key = await db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt == null).Select(k => k.Id).FirstAsync();
        return new ShadowForm { Name = $"walk-{Guid.NewGuid():N}"[..16], Model = "gpt-4o-mini", ShadowAlias = "gpt-4o", SamplePercent = 0, BillingKeyId = key, Enabled = false };
    }

    private static async Task<Guid> ShadowTestAsync(ServiceProbe p)
    {
        var form = await ShadowFormAsync(p);
        var saved = await p.Use<ShadowService, ControlPlane.Infrastructure.Outcome<ShadowTest>>(s => s.SaveAsync(Actor.CommandLine, null, form));
        Assert.True(saved.Succeeded, saved.Error);
        return saved.Value!.Id;
    }

    private static string[] ReconReaders => [ServiceRoles.Owner, ServiceRoles.Admin, ServiceRoles.FinanceAdmin, ServiceRoles.Auditor];
    private static string[] ReconWriters => [ServiceRoles.Owner, ServiceRoles.Admin, ServiceRoles.FinanceAdmin];

    private static Task<string> ReconProviderAsync(ServiceProbe p) =>
        p.Use<ReconciliationService, string>(async s => (await s.ProvidersAsync(Actor.CommandLine))[0]);

    private static MemoryStream ReconCsv(string provider) =>
        new(System.Text.Encoding.UTF8.GetBytes($"date,provider,model,input_tokens,output_tokens,requests,cost,currency\n2020-01-01,{provider},walk-model,1,1,1,0.01,USD\n"));

    /// <summary>A report imported at the command line (an unknown model on a day of no calls).</summary>
    private static async Task<Guid> ReconReportAsync(ServiceProbe p)
    {
        var name = await ReconProviderAsync(p);
        return await p.Use<ReconciliationService, Guid>(async s =>
        {
            var made = await s.ImportAsync(Actor.CommandLine, name, BillFormats.GenericCsv, ReconCsv(name), "walk.csv");
            Assert.True(made.Succeeded, made.Error);
            return made.Value![0].Id;
        });
    }

    private static async Task<string> ReconSourceAsync(ServiceProbe p)
    {
        var name = await ReconProviderAsync(p);
        var saved = await p.Use<ReconciliationService, ControlPlane.Infrastructure.Outcome<BillSourceView>>(s => s.SaveSourceAsync(Actor.CommandLine, name, BillApis.OpenAI, "https://bills.example.com", "sk-admin-walk-00001234"));
        Assert.True(saved.Succeeded, saved.Error);
        return name;
    }

    /// <summary>A one-cent top-up of Platform's wallet from the unallocated budget.</summary>
    private static async Task<TransferForm> PlatformTopUpAsync(ServiceProbe p)
    {
        await using var db = p.App.OpenDb();
        var wallet = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            db.Wallets.Where(w => w.OwnerKind == WalletOwners.Team && w.OwnerId == p.Platform).Select(w => w.Id));
        return new TransferForm { ToWalletId = wallet, Amount = 0.01m, Reason = "service walk" };
    }

    /// <summary>A new pending top-up of Platform, requested at the command line (so no walked person is its requester).</summary>
    private static async Task<Guid> PendingPlatformTransferAsync(ServiceProbe p)
    {
        var form = await PlatformTopUpAsync(p);
        var made = await p.Use<TransferService, ControlPlane.Infrastructure.Outcome<Transfer>>(async s => await s.RequestAsync(Actor.CommandLine, form));
        Assert.True(made.Succeeded, made.Error);
        return made.Value!.Id;
    }


    // A property, not a field: Rules above is initialised first.
    private static string[] NotifyRoles => [ServiceRoles.Owner, ServiceRoles.Admin, ServiceRoles.FinanceAdmin];

    /// <summary>Any wallet: a ladder step changes nothing of it (the Platform wallet's limit is other rules' business).</summary>
    private static async Task<Guid> NotifyWalletAsync(ServiceProbe p)
    {
        await using var db = p.App.OpenDb();
        return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstAsync(db.Wallets.OrderBy(w => w.CreatedAt).Select(w => w.Id));
    }

    private static ChannelForm NotifyForm() => new() { Name = ServiceProbe.Unique("walk-hook"), Kind = ChannelKinds.Slack, Url = "https://127.0.0.1:1/services/walk" };

    private static Task<Guid> NotifyChannelAsync(ServiceProbe p) =>
        p.Use<NotificationSettings, Guid>(async s => { var c = await s.SaveChannelAsync(Actor.CommandLine, null, NotifyForm()); Assert.True(c.Succeeded, c.Error); return c.Value!.Id; });

    private static async Task<Guid> NotifySubscriptionAsync(ServiceProbe p)
    {
        var channel = await NotifyChannelAsync(p);
        return await p.Use<NotificationSettings, Guid>(async s =>
        {
            var sub = await s.AddSubscriptionAsync(Actor.CommandLine, new SubscriptionForm { ChannelId = channel, AlertKind = AlertKinds.Anomaly, TeamId = p.Platform });
            Assert.True(sub.Succeeded, sub.Error);
            return sub.Value!.Id;
        });
    }

    private static async Task<Guid> NotifyStepAsync(ServiceProbe p)
    {
        var channel = await NotifyChannelAsync(p);
        var wallet = await NotifyWalletAsync(p);
        return await p.Use<NotificationSettings, Guid>(async s =>
        {
            var step = await s.AddStepAsync(Actor.CommandLine, new EscalationStepForm { WalletId = wallet, ChannelId = channel, Percent = 80 });
            Assert.True(step.Succeeded, step.Error);
            return step.Value!.Id;
        });
    }

    /// <summary>A test send to a URL that answers nothing: a failed delivery in the log.</summary>
    private static async Task<Guid> NotifyFailedDeliveryAsync(ServiceProbe p)
    {
        var channel = await NotifyChannelAsync(p);
        return await p.Use<NotificationSettings, Guid>(async s =>
        {
            Assert.False((await s.SendTestAsync(Actor.CommandLine, channel, null)).Succeeded);
            return (await s.DeliveriesAsync(Actor.CommandLine, new DeliveryQuery(DeliveryStatuses.Failed, Take: 200))).Rows.First(r => r.Channel.StartsWith("walk-hook", StringComparison.Ordinal)).Id;
        });
    }

    private static ExportForm FinOpsForm() => new()
    {
        Name = "walk-export-" + Guid.NewGuid().ToString("N")[..8], Destination = ExportDestinations.Webhook,
        WebhookUrl = "https://finops.invalid/chargeback", SigningSecret = "walk-signing-secret-123",
    };

    private static Task<Guid> FinOpsScheduleAsync(ServiceProbe p) =>
        p.Use<ChargebackExports, Guid>(async s => { var c = await s.CreateAsync(Actor.CommandLine, FinOpsForm()); Assert.True(c.Succeeded, c.Error); return c.Value!.Id; });

    private static string NotifySlackUser() => "U" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();

    private static Task<Guid> NotifySlackLinkAsync(ServiceProbe p) =>
        p.Use<NotificationSettings, Guid>(async s => { var l = await s.LinkSlackUserAsync(Actor.CommandLine, "TWALK", NotifySlackUser(), "mia.member@acme.test"); Assert.True(l.Succeeded, l.Error); return l.Value!.Id; });

    public static TheoryData<string> Methods => [.. Rules.Keys];

    /// <summary>Methods that take no actor but act for whoever is signed in to the circuit or request.</summary>
    public static IReadOnlyList<string> SignedInOverloads { get; } =
        [.. Rules.Keys.Where(k => k.EndsWith(" as the signed-in person", StringComparison.Ordinal))];
}
