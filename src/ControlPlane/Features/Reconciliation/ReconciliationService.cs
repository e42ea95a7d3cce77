using ControlPlane.Features.Audit;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Reconciliation;

/// <summary>A report as the list shows it (without its lines).</summary>
public sealed record ReportSummary(Guid Id, DateOnly Day, string Provider, string Source, string? FileName, string Currency,
    decimal? TheirCost, decimal OurCost, decimal Drift, int DriftLines, int Lines, DateTime CreatedAt, string CreatedBy);

/// <summary>A bill source as the page shows it: never the key, only its hint.</summary>
public sealed record BillSourceView(string Provider, string Api, string BaseUrl, string? AdminKeyHint, DateTime UpdatedAt, string UpdatedBy);

/// <summary>
/// Reconciles providers' bills with our call log: imports an uploaded bill or fetches a day from the provider's admin
/// API, compares it per model (and key) with the day's rollups, stores the report with an audit entry, and raises a
/// <see cref="AlertKinds.ReconciliationDrift"/> alert when a line drifts. Reading: Owner, Admin, FinanceAdmin and
/// Auditor; importing, fetching and setting admin keys: Owner, Admin and FinanceAdmin.
/// </summary>
public sealed class ReconciliationService(IDbContextFactory<ControlPlaneDb> dbFactory, AuditLog audit, IAlerts alerts, BillFetcher fetcher,
    Gateway.Providers.ProviderAddressPolicy addresses, IDataProtectionProvider protection, IOptions<ReconciliationOptions> options, TimeProvider clock)
{
    /// <summary>What someone who may not import, fetch or set admin keys is told.</summary>
    public const string WriteRefusal = "Only an Owner, Admin or FinanceAdmin can import bills, fetch them or set admin keys.";

    private readonly IDataProtector _keys = protection.CreateProtector("ControlPlane.Reconciliation.AdminKeys.v1");

    public static bool MayRead(Actor actor) => actor.Role is Roles.Owner or Roles.Admin or Roles.FinanceAdmin or Roles.Auditor;

    public static bool MayWrite(Actor actor) => actor.Role is Roles.Owner or Roles.Admin or Roles.FinanceAdmin;

    public DriftThreshold Threshold => new(options.Value.DriftAbsolute, options.Value.DriftPercent);

    /// <summary>Reads an uploaded bill and stores one report per day it covers.</summary>
    public async Task<Outcome<IReadOnlyList<ReconciliationReport>>> ImportAsync(Actor actor, string provider, string format, Stream content, string? fileName,
        CancellationToken ct = default)
    {
        if (!MayWrite(actor)) return Outcome.Fail<IReadOnlyList<ReconciliationReport>>(WriteRefusal);
        if (await ProblemWithProviderAsync(provider, ct) is { } problem) return Outcome.Fail<IReadOnlyList<ReconciliationReport>>(problem);
        if (!BillFormats.All.Contains(format))
            return Outcome.Fail<IReadOnlyList<ReconciliationReport>>($"Unknown report format '{format}'; use one of {string.Join(", ", BillFormats.All)}.");
        IReadOnlyList<BillLine> lines;
        try
        {
            lines = BillReader.Read(format, content, provider);
        }
        catch (BillFormatException ex)
        {
            return Outcome.Fail<IReadOnlyList<ReconciliationReport>>($"{BillFormats.Title(format)}: {ex.Message}");
        }
        if (lines.Count == 0)
            return Outcome.Fail<IReadOnlyList<ReconciliationReport>>(format == BillFormats.GenericCsv
                ? $"The file has no line for the provider '{provider}' (its provider column must name it)."
                : "The report has no usage or cost lines.");
        var days = lines.GroupBy(l => l.Day).OrderBy(g => g.Key).ToList();
        if (days.Count > 62) return Outcome.Fail<IReadOnlyList<ReconciliationReport>>("A bill covers at most 62 days; split it.");
        var reports = new List<ReconciliationReport>();
        foreach (var day in days)
            reports.Add(await ReconcileAsync(actor.Name, provider, day.Key, [.. day], format, Clip(fileName), ct));
        return reports;
    }

    /// <summary>Fetches <paramref name="day"/> of <paramref name="provider"/>'s bill from its admin API and reconciles it.</summary>
    public async Task<Outcome<ReconciliationReport>> FetchAsync(Actor actor, string provider, DateOnly day, CancellationToken ct = default)
    {
        if (!MayWrite(actor)) return Outcome.Fail<ReconciliationReport>(WriteRefusal);
        return await FetchAsAsync(actor.Name, provider, day, ct);
    }

    /// <summary>The daily job's way in: fetches and reconciles as the system.</summary>
    internal async Task<Outcome<ReconciliationReport>> FetchAsAsync(string actorName, string provider, DateOnly day, CancellationToken ct)
    {
        if (day >= DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime))
            return Outcome.Fail<ReconciliationReport>("Only a day that has ended can be reconciled (providers bill a UTC day once it is over).");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var source = await db.BillSources.AsNoTracking().FirstOrDefaultAsync(s => s.Provider == provider, ct);
        if (source?.EncryptedAdminKey is null)
            return Outcome.Fail<ReconciliationReport>($"No admin key is set for '{provider}': set one under Bill sources, or upload the bill as a file.");
        IReadOnlyList<BillLine> lines;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Value.FetchTimeout);
            lines = await fetcher.FetchDayAsync(source.Api, source.BaseUrl, _keys.Unprotect(source.EncryptedAdminKey), day, timeout.Token);
        }
        catch (Exception ex) when (ex is BillFetchException or BillFormatException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return Outcome.Fail<ReconciliationReport>($"Fetching {provider}'s bill for {day:yyyy-MM-dd} failed: {(ex is OperationCanceledException ? "it took too long" : ex.Message)}");
        }
        var formats = source.Api == BillApis.Anthropic ? $"{BillFormats.AnthropicUsage},{BillFormats.AnthropicCosts}" : $"{BillFormats.OpenAIUsage},{BillFormats.OpenAICosts}";
        return await ReconcileAsync(actorName, provider, day, lines, formats, "api", ct);
    }

    public async Task<IReadOnlyList<ReportSummary>> ListAsync(Actor actor, int take = 200, CancellationToken ct = default)
    {
        if (!MayRead(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.ReconciliationReports.AsNoTracking().OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Take(Math.Clamp(take, 1, 1000))
            .Select(r => new ReportSummary(r.Id, r.Day, r.Provider, r.Source, r.FileName, r.Currency, r.TheirCost, r.OurCost, r.Drift, r.DriftLines,
                r.Lines.Count, r.CreatedAt, r.CreatedBy))
            .ToListAsync(ct);
        return rows;
    }

    public async Task<ReconciliationReport?> FindAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        if (!MayRead(actor)) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var report = await db.ReconciliationReports.AsNoTracking().Include(r => r.Lines).FirstOrDefaultAsync(r => r.Id == id, ct);
        // Drifting lines first, the largest differences first: what to look at comes first.
        report?.Lines.Sort((a, b) => (b.Drifted.CompareTo(a.Drifted) is var d and not 0) ? d
            : Math.Abs(b.Difference ?? 0m).CompareTo(Math.Abs(a.Difference ?? 0m)) is var m and not 0 ? m
            : string.CompareOrdinal(a.Model, b.Model));
        return report;
    }

    /// <summary>Our providers' names, for the page's pickers.</summary>
    public async Task<IReadOnlyList<string>> ProvidersAsync(Actor actor, CancellationToken ct = default)
    {
        if (!MayRead(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var names = await db.Providers.AsNoTracking().Select(p => p.Name).ToListAsync(ct);
        return [.. names.Order(StringComparer.OrdinalIgnoreCase)];
    }

    public async Task<IReadOnlyList<BillSourceView>> SourcesAsync(Actor actor, CancellationToken ct = default)
    {
        if (!MayRead(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.BillSources.AsNoTracking().ToListAsync(ct);
        return [.. rows.OrderBy(s => s.Provider, StringComparer.OrdinalIgnoreCase)
            .Select(s => new BillSourceView(s.Provider, s.Api, s.BaseUrl, s.AdminKeyHint, s.UpdatedAt, s.UpdatedBy))];
    }

    /// <summary>
    /// Sets where <paramref name="provider"/>'s bills are fetched and with which admin key (write-only: an empty key
    /// keeps the stored one; the key is encrypted, only a hint is kept, and the audit entry names the hint alone).
    /// </summary>
    public async Task<Outcome<BillSourceView>> SaveSourceAsync(Actor actor, string provider, string api, string? baseUrl, string? adminKey,
        CancellationToken ct = default)
    {
        if (!MayWrite(actor)) return Outcome.Fail<BillSourceView>(WriteRefusal);
        if (await ProblemWithProviderAsync(provider, ct) is { } problem) return Outcome.Fail<BillSourceView>(problem);
        if (!BillApis.All.Contains(api)) return Outcome.Fail<BillSourceView>($"Unknown admin API '{api}'; use one of {string.Join(", ", BillApis.All)}.");
        var url = string.IsNullOrWhiteSpace(baseUrl) ? BillApis.DefaultBaseUrl(api) : baseUrl.Trim();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || url.Length > 500)
            return Outcome.Fail<BillSourceView>("The base URL must be an absolute http(s) URL such as https://api.openai.com.");
        // The admin key will be sent there: the same address rule as a provider's base URL (checked again at connect time).
        if (addresses.CheckUrl(uri) is { } refused) return Outcome.Fail<BillSourceView>($"That admin API address is not allowed: {refused}");
        adminKey = adminKey?.Trim();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var source = await db.BillSources.FirstOrDefaultAsync(s => s.Provider == provider, ct);
        if (source is null && string.IsNullOrEmpty(adminKey)) return Outcome.Fail<BillSourceView>("Give the provider's admin key.");
        if (source is null)
        {
            source = new BillSource { Id = Guid.CreateVersion7(), Provider = provider, Api = api, BaseUrl = url, UpdatedBy = actor.Name };
            db.BillSources.Add(source);
        }
        source.Api = api;
        source.BaseUrl = url;
        if (!string.IsNullOrEmpty(adminKey))
        {
            source.EncryptedAdminKey = _keys.Protect(adminKey);
            source.AdminKeyHint = Gateway.Providers.ProviderSecrets.Hint(adminKey);
        }
        source.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        source.UpdatedBy = actor.Name;
        await audit.SaveAsync(db, actor.Name, "reconciliation.source-saved", $"provider:{provider}",
            $"{api} admin API at {url}{(string.IsNullOrEmpty(adminKey) ? "" : $", admin key {source.AdminKeyHint}")}", ct);
        return new BillSourceView(source.Provider, source.Api, source.BaseUrl, source.AdminKeyHint, source.UpdatedAt, source.UpdatedBy);
    }

    /// <summary>The providers with an admin key, for the daily job.</summary>
    internal async Task<IReadOnlyList<string>> FetchableProvidersAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.BillSources.AsNoTracking().Where(s => s.EncryptedAdminKey != null).Select(s => s.Provider).ToListAsync(ct);
    }

    /// <summary>Compares the bill's lines for one day with the day's rollups, stores the report (audited) and alerts on drift.</summary>
    internal async Task<ReconciliationReport> ReconcileAsync(string actorName, string provider, DateOnly day, IReadOnlyList<BillLine> bill,
        string source, string? fileName, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // An organisation-wide bill grouped by project or key: only this connection's part is compared with its calls.
        var owners = (await db.Providers.AsNoTracking().Where(p => p.BillingIds != null).Select(p => new { p.Name, p.BillingIds }).ToListAsync(ct))
            .SelectMany(p => ProviderBillingIds.Split(p.BillingIds).Select(id => (Id: id, p.Name)))
            .GroupBy(o => o.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Name, StringComparer.Ordinal);
        var split = BillScopes.Of(bill, provider, owners);
        bill = split.Mine;
        var start = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        // The day's rollups hold the call log's sums per key and model (written with the calls): one row per
        // dimension instead of every call. Summed here, as SQLite cannot sum decimals in SQL.
        var rollups = await db.CallRollups.AsNoTracking()
            .Where(r => r.Grain == RollupGrain.Day && r.Bucket == start && r.Provider == provider)
            .Select(r => new { r.Model, r.KeyId, r.Calls, r.Errors, r.InputTokens, r.OutputTokens, r.Cost })
            .ToListAsync(ct);
        var ours = rollups.Select(r => new OurUsage(r.Model, r.KeyId == Guid.Empty ? null : r.KeyId, r.InputTokens, r.OutputTokens, r.Calls - r.Errors, r.Cost)).ToList();
        var providerId = await db.Providers.AsNoTracking().Where(p => p.Name == provider).Select(p => p.Id).FirstOrDefaultAsync(ct);
        var priced = (await db.Prices.AsNoTracking().Where(p => p.ProviderId == providerId).Select(p => p.UpstreamModel).Distinct().ToListAsync(ct))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var threshold = Threshold;
        var lines = BillComparison.Compare(bill, ours, priced, threshold);

        var currencies = bill.Select(l => l.Currency).OfType<string>().Distinct().ToList();
        var sameCurrency = currencies.All(c => c == BillComparison.OurCurrency);
        var report = new ReconciliationReport
        {
            Id = Guid.CreateVersion7(), Day = day, Provider = provider, Source = source, FileName = fileName,
            Currency = currencies.FirstOrDefault(c => c != BillComparison.OurCurrency) ?? BillComparison.OurCurrency,
            TheirCost = bill.Any(l => l.Cost is not null) && currencies.Count <= 1 ? bill.Sum(l => l.Cost ?? 0m) : null,
            OurCost = ours.Sum(o => o.Cost),
            Drift = sameCurrency ? lines.Where(l => l.Drifted).Sum(l => Math.Abs(l.Difference ?? 0m)) : 0m,
            DriftLines = lines.Count(l => l.Drifted),
            ThresholdAbsolute = threshold.Absolute, ThresholdPercent = threshold.Percent, UnmatchedScopes = split.Unmatched,
            CreatedAt = clock.GetUtcNow().UtcDateTime, CreatedBy = actorName,
        };
        foreach (var line in lines) line.ReportId = report.Id;
        report.Lines = lines;
        db.ReconciliationReports.Add(report);
        await audit.SaveAsync(db, actorName, "reconciliation.imported", $"reconciliation:{report.Id}",
            $"{provider} {day:yyyy-MM-dd} from {(fileName is null ? source : $"{source} file '{fileName}'")}: billed {Amount(report.TheirCost, report.Currency)}, "
            + $"logged {BillComparison.Usd(report.OurCost)}, {report.DriftLines} line(s) drifting by {BillComparison.Usd(report.Drift)}"
            + (report.UnmatchedScopes is null ? "" : "; ids of no connection on the bill"), ct);
        if (report.Drifted || report.UnmatchedScopes is not null) await AlertAsync(report, ct);
        return report;
    }

    private async Task AlertAsync(ReconciliationReport report, CancellationToken ct)
    {
        var worst = report.Lines.Where(l => l.Drifted).OrderByDescending(l => Math.Abs(l.Difference ?? 0m)).Take(5).ToList();
        var body = $"{report.Provider}'s bill for {report.Day:yyyy-MM-dd} and our call log differ on {report.DriftLines} line(s)"
            + $" (drift {BillComparison.Usd(report.Drift)}; billed {Amount(report.TheirCost, report.Currency)}, logged {BillComparison.Usd(report.OurCost)}).\n"
            + string.Join("\n", worst.Select(l => $"- {l.Model}: {Findings.Title(l.Finding)}. {l.Note}"))
            + (report.UnmatchedScopes is null ? "" : $"\nUsage under provider-side ids that belong to none of our providers (not through the gateway?): {report.UnmatchedScopes}");
        await alerts.RaiseAsync(new Alert(AlertKinds.ReconciliationDrift, $"Reconciliation drift: {report.Provider} {report.Day:yyyy-MM-dd}", body,
            AlertSeverity.Warning, Link: $"/reconciliation?report={report.Id}", DedupKey: $"{report.Provider}:{report.Day:yyyy-MM-dd}:{report.Id}",
            Facts: new Dictionary<string, string>
            {
                ["Provider"] = report.Provider, ["Day"] = report.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                ["Drift"] = BillComparison.Usd(report.Drift), ["Lines drifting"] = report.DriftLines.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }), ct);
    }

    private async Task<string?> ProblemWithProviderAsync(string provider, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(provider)) return "Choose the provider whose bill this is.";
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Providers.AsNoTracking().AnyAsync(p => p.Name == provider, ct) ? null : $"No provider is named '{provider}'.";
    }

    private static string Amount(decimal? amount, string currency) =>
        amount is { } a ? $"{BillComparison.Money(a)} {currency}" : "no amount (usage only)";

    private static string? Clip(string? fileName) =>
        fileName is null ? null : Path.GetFileName(fileName) is var name && name.Length > 260 ? name[..260] : Path.GetFileName(fileName);
}
