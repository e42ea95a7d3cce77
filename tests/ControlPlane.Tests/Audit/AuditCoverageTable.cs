namespace ControlPlane.Tests.Audit;

/// <summary>
/// Which service methods are administrative (they change something, so they must append to the audit chain) and the
/// action their entry names; and which only read. <see cref="AuditCoverageTests"/> walks every public method taking an
/// Actor in <see cref="Namespaces"/>: each must be listed here, and each administrative one is called (through its
/// <see cref="Auth.ServiceAuthorizationTable"/> rule, as someone it acts for) and must leave an entry naming that
/// person, its action and a target.
/// </summary>
public static class AuditCoverageTable
{
    /// <summary>
    /// The features whose Actor-taking methods are walked. A new feature adds its namespace here in one line (e.g.
    /// "ControlPlane.Features.Transfers", "ControlPlane.Features.Notifications"); the guard test then names each of its
    /// methods until they are in <see cref="Actions"/> or <see cref="Reads"/> (and in ServiceAuthorizationTable).
    /// </summary>
    public static readonly string[] Namespaces =
    [
        "ControlPlane.Features.Keys", "ControlPlane.Features.Limits", "ControlPlane.Features.Teams", "ControlPlane.Features.Projects",
        "ControlPlane.Features.People", "ControlPlane.Features.People.Scim", "ControlPlane.Features.Wallets", "ControlPlane.Features.Metering",
        "ControlPlane.Features.Gateway.Providers", "ControlPlane.Features.Gateway.Catalogue", "ControlPlane.Features.SignInSettings",
        "ControlPlane.Features.Transfers", "ControlPlane.Features.Notifications",
        "ControlPlane.Features.Digests", "ControlPlane.Features.FinOps",
        "ControlPlane.Features.Experiments",
    ];

    /// <summary>Administrative method (as ServiceAuthorizationTable names it) → the action (or action prefix) of its entry.</summary>
    public static IReadOnlyDictionary<string, string> Actions { get; } = new Dictionary<string, string>
    {
        ["ExperimentService.SaveAsync(Actor, Guid?, ExperimentForm, CancellationToken)"] = "experiment.created",
        ["ExperimentService.StartAsync(Actor, Guid, CancellationToken)"] = "experiment.started",
        ["ExperimentService.StopAsync(Actor, Guid, CancellationToken)"] = "experiment.stopped",
        ["ExperimentService.ConcludeAsync(Actor, Guid, String, CancellationToken)"] = "experiment.concluded",
        ["ExperimentService.ArchiveAsync(Actor, Guid, CancellationToken)"] = "experiment.archived",
        ["ShadowService.SaveAsync(Actor, Guid?, ShadowForm, CancellationToken)"] = "shadow.created",
        ["ShadowService.SetEnabledAsync(Actor, Guid, Boolean, CancellationToken)"] = "shadow.enabled",
        ["TeamDirectory.CreateAsync(Actor, String, Guid?, CancellationToken)"] = "team.created",
        ["OfferedModels.SyncNowAsync(Actor, CancellationToken)"] = "models.synced",
        ["OfferedModels.AcceptAsync(Actor, Guid, OfferAcceptance, CancellationToken)"] = "model.offer_accepted",
        ["OfferedModels.DismissAsync(Actor, Guid, CancellationToken)"] = "model.offer_dismissed",
        ["TeamDirectory.SetPayloadRetentionAsync(Actor, Guid, Int32?, CancellationToken)"] = "team.payload_retention",
        ["TeamDirectory.AddMemberAsync(Actor, Guid, Guid, String, CancellationToken)"] = "team.member_added",
        ["TeamDirectory.RemoveMemberAsync(Actor, Guid, Guid, CancellationToken)"] = "team.member_removed",
        ["TeamDirectory.SetKeyTransferApiAsync(Actor, Guid, Boolean, Boolean, CancellationToken)"] = "team.key_transfer_api",
        ["ProjectService.CreateAsync(Actor, Guid, String, CancellationToken)"] = "project.created",
        ["KeyService.CreateAsync(Actor, Guid, String, DateTime?, CancellationToken)"] = "key.created",
        ["KeyService.CreateAsync(Actor, Guid, String, DateTime?, Guid?, CancellationToken)"] = "key.created",
        ["KeyService.RevokeAsync(Actor, Guid, CancellationToken)"] = "key.revoked",
        ["KeyService.RevokeByPrefixAsync(Actor, String, CancellationToken)"] = "key.revoked",
        ["KeyLimitsService.SetAsync(Actor, Guid, Int32?, Int32?, Int32?, CancellationToken)"] = "key.limits",
        ["WalletService.SaveAsync(Actor, String, Guid, WalletForm, CancellationToken)"] = "wallet.",
        ["PriceBookService.AddAsync(Actor, PriceForm, CancellationToken)"] = "price.added",
        ["ProviderService.SaveAsync(Actor, Guid?, ProviderForm, CancellationToken)"] = "provider.created",
        ["ProviderService.SetEnabledAsync(Actor, Guid, Boolean, CancellationToken)"] = "provider.enabled",
        ["CatalogueService.SaveAsync(Actor, Guid?, ModelForm, CancellationToken)"] = "model.created",
        ["PeopleDirectory.SignOutEverywhereAsync(Actor, Guid, CancellationToken)"] = "user.signed_out_everywhere",
        ["PeopleDirectory.SetActiveAsync(Actor, Guid, Boolean, CancellationToken)"] = "user.switched_off",
        ["PeopleDirectory.CreateOwnerAsync(Actor, String, String, CancellationToken)"] = "user.owner_created",
        ["ScimTokens.CreateAsync(Actor, String, CancellationToken)"] = "scim.token_created",
        ["ScimTokens.RevokeAsync(Actor, Guid, CancellationToken)"] = "scim.token_revoked",
        ["SignInLinks.IssueAsync(Actor, Guid, CancellationToken)"] = "user.sign_in_link.created",
        ["TransferService.RequestAsync(Actor, TransferForm, CancellationToken)"] = "transfer.requested",
        ["TransferService.ApproveAsync(Actor, Guid, String, CancellationToken)"] = "transfer.approv",
        ["TransferService.RejectAsync(Actor, Guid, String, CancellationToken)"] = "transfer.rejected",
        ["NotificationSettings.SaveChannelAsync(Actor, Guid?, ChannelForm, CancellationToken)"] = "notification.channel.created",
        ["NotificationSettings.DeleteChannelAsync(Actor, Guid, CancellationToken)"] = "notification.channel.deleted",
        ["NotificationSettings.AddSubscriptionAsync(Actor, SubscriptionForm, CancellationToken)"] = "notification.subscription.added",
        ["NotificationSettings.RemoveSubscriptionAsync(Actor, Guid, CancellationToken)"] = "notification.subscription.removed",
        ["NotificationSettings.SendTestAsync(Actor, Guid, String, CancellationToken)"] = "notification.channel.tested",
        ["NotificationSettings.RetryAsync(Actor, Guid, CancellationToken)"] = "notification.delivery.retried",
        ["NotificationSettings.AddStepAsync(Actor, EscalationStepForm, CancellationToken)"] = "notification.escalation.added",
        ["NotificationSettings.RemoveStepAsync(Actor, Guid, CancellationToken)"] = "notification.escalation.removed",
        ["NotificationSettings.LinkSlackUserAsync(Actor, String, String, String, CancellationToken)"] = "notification.slack.linked",
        ["NotificationSettings.UnlinkSlackUserAsync(Actor, Guid, CancellationToken)"] = "notification.slack.unlinked",
        ["DigestPreferences.ChooseAsync(Actor, String, CancellationToken)"] = "digest.cadence",
        ["CostCentres.SetTeamAsync(Actor, Guid, String, CancellationToken)"] = "team.cost_centre",
        ["CostCentres.SetWalletAsync(Actor, Guid, String, CancellationToken)"] = "wallet.cost_centre",
        ["ChargebackExports.CreateAsync(Actor, ExportForm, CancellationToken)"] = "finops.export.created",
        ["ChargebackExports.DeleteAsync(Actor, Guid, CancellationToken)"] = "finops.export.removed",
        ["ChargebackExports.RunNowAsync(Actor, Guid, CancellationToken)"] = "finops.export.run",
    };

    /// <summary>Methods that change nothing (reads, permission checks, a connection test), so append nothing.</summary>
    public static IReadOnlySet<string> Reads { get; } = new HashSet<string>
    {
        "ExperimentService.MayRead(Actor)",
        "ExperimentService.MayWrite(Actor)",
        "ExperimentService.ListAsync(Actor, CancellationToken)",
        "ExperimentService.ResultsAsync(Actor, Guid, CancellationToken)",
        "ShadowService.ReportsAsync(Actor, CancellationToken)",
        "TeamDirectory.VisibleToAsync(Actor, CancellationToken)",
        "TeamDirectory.ManagedByAsync(Actor, CancellationToken)",
        "ProjectService.ListAsync(Actor, Guid, CancellationToken)",
        "KeyService.ListAsync(Actor, String, CancellationToken)",
        "WalletService.MayEdit(Actor)",
        "WalletQueries.OverviewAsync(Actor, CancellationToken)",
        "PriceBookService.MayEdit(Actor)",
        "ProviderService.TestConnectionAsync(Actor, Guid, CancellationToken)",
        "PeopleDirectory.MayView(Actor)",
        "PeopleDirectory.MayManage(Actor)",
        "PeopleDirectory.DirectoryAsync(Actor, CancellationToken)",
        "ScimTokens.MayManage(Actor)",
        "CallQueries.PageAsync(Actor, CallFilter, CallSort, Int32, CallCursor, CallCursor, CancellationToken)",
        "CallQueries.StreamAsync(Actor, CallFilter, CallSort, CancellationToken)",
        "CallQueries.TotalsAsync(Actor, CallFilter, CancellationToken)",
        "CallQueries.FindAsync(Actor, Guid, CancellationToken)",
        "CallQueries.ModelsAsync(Actor, CancellationToken)",
        "CallQueries.ProvidersAsync(Actor, CancellationToken)",
        "CallQueries.ErrorClassesAsync(Actor, CancellationToken)",
        "CallDetailQueries.FindAsync(Actor, Guid, CancellationToken)",
        "CallExport.WriteCsvAsync(Stream, Actor, CallFilter, CallSort, CancellationToken)",
        "TransferService.MayDecide(Actor)",
        "TransferService.MayRequest(Actor)",
        "TransferQueries.ListAsync(Actor, TransferView, TransferFilter, CancellationToken)",
        "TransferQueries.HistoryAsync(Actor, TransferFilter, TransferCursor, Int32, CancellationToken)",
        "NotificationSettings.MayManage(Actor)",
        "NotificationSettings.ChannelsAsync(Actor, CancellationToken)",
        "NotificationSettings.ChannelFormAsync(Actor, Guid, CancellationToken)",
        "NotificationSettings.SubscriptionsAsync(Actor, CancellationToken)",
        "NotificationSettings.DeliveriesAsync(Actor, DeliveryQuery, CancellationToken)",
        "NotificationSettings.LadderAsync(Actor, CancellationToken)",
        "NotificationSettings.SlackLinksAsync(Actor, CancellationToken)",
        "DigestBuilder.BuildAsync(Actor, DigestPeriod, CancellationToken)",
        "DigestPreferences.CadenceOfAsync(Actor, CancellationToken)",
        "CostCentres.MayEdit(Actor)",
        "ChargebackExports.MayManage(Actor)",
        "ChargebackExports.SchedulesAsync(Actor, CancellationToken)",
        "ChargebackExports.RunsAsync(Actor, Int32, CancellationToken)",
    };
}
