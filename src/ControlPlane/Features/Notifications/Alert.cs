namespace ControlPlane.Features.Notifications;

/// <summary>
/// Something people should hear about: a wallet near its limit, a transfer to approve, a provider failing, drift in a
/// reconciliation, a job that keeps failing, a digest. Who hears it, on which channel and how often is the
/// notification settings' business, not the raiser's: raisers say what happened and whose it is.
/// </summary>
/// <param name="Kind">One of <see cref="AlertKinds"/>; recipients and channels are chosen per kind.</param>
/// <param name="Subject">One line, no secrets (it becomes an e-mail subject and a chat title).</param>
/// <param name="Body">Plain text, a few lines with the numbers.</param>
/// <param name="Severity">Escalation and colour in chat messages.</param>
/// <param name="TeamId">The team it concerns (its leads are its audience).</param>
/// <param name="WalletId">The wallet it concerns (its escalation ladder applies).</param>
/// <param name="Link">A path inside the dashboard (e.g. "/transfers?id=…"), made absolute by the sender.</param>
/// <param name="DedupKey">The same kind and key are not sent twice within the deduplication window.</param>
/// <param name="Facts">Named numbers for rich messages (Slack fields, Adaptive Card facts, webhook JSON).</param>
/// <param name="Recipients">People to reach beyond the settings' audience (e-mail addresses), e.g. a digest's reader.</param>
public sealed record Alert(
    string Kind,
    string Subject,
    string Body,
    AlertSeverity Severity = AlertSeverity.Info,
    Guid? TeamId = null,
    Guid? WalletId = null,
    string? Link = null,
    string? DedupKey = null,
    IReadOnlyDictionary<string, string>? Facts = null,
    IReadOnlyList<string>? Recipients = null);

public enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}

public static class AlertKinds
{
    public const string WalletThreshold = "wallet.threshold";
    public const string WalletExhausted = "wallet.exhausted";
    public const string TransferRequested = "transfer.requested";
    public const string TransferApproved = "transfer.approved";
    public const string TransferRejected = "transfer.rejected";
    public const string TransferExpired = "transfer.expired";
    public const string ProviderFailing = "provider.failing";
    public const string Anomaly = "anomaly";
    public const string ReconciliationDrift = "reconciliation.drift";
    public const string JobFailing = "job.failing";
    public const string AuditChainBroken = "audit.broken";
    public const string Digest = "digest";
}

/// <summary>Raises alerts; never throws for a delivery failure (deliveries are logged and retried by the channels).</summary>
public interface IAlerts
{
    Task RaiseAsync(Alert alert, CancellationToken cancellationToken = default);
}
