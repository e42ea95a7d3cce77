using System.Globalization;
using ControlPlane.Features.FinOps;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Data;
using CsvHelper;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// One team's own calls in the range (its subteams have their own lines, so nothing is counted twice), and the cost
/// centre they are charged to (the team's own or inherited, see <see cref="CostCentreTree"/>; null: unassigned).
/// </summary>
public sealed record ChargebackLine(string TeamPath, Guid? TeamId, int Calls, long InputTokens, long CachedInputTokens, long OutputTokens,
    decimal Cost, DateTime FirstCall, DateTime LastCall, string? CostCentre = null);

/// <summary>One cost centre's spend in the range: the sums of its teams' lines, and the lines.</summary>
public sealed record CostCentreLine(string CostCentre, int Calls, long InputTokens, long CachedInputTokens, long OutputTokens, decimal Cost,
    IReadOnlyList<ChargebackLine> Teams);

/// <summary>
/// The chargeback's file layouts per cost centre: one CSV line per cost centre, or the ERP-friendly layout where each
/// cost centre is a header row (H) followed by its teams' lines (L) and the file ends with a trailer (T).
/// </summary>
public static class ChargebackLayouts
{
    public const string CostCentre = "cost-centre";
    public const string Erp = "erp";
    public static IReadOnlyList<string> All { get; } = [CostCentre, Erp];

    public static string Label(string layout) => layout == Erp ? "ERP (cost-centre header rows)" : "CSV, one line per cost centre";
}

/// <summary>
/// What each team spent between two dates (UTC days, both included), for finance to charge back: one line per team
/// with calls in the range, by team path, and a total line last. Calls without a team (refused before a key was
/// known) cost nothing and are left out.
/// </summary>
public sealed class ChargebackExport(IDbContextFactory<ControlPlaneDb> dbFactory)
{
    public const int LongestRangeDays = 366;
    public const string TotalLabel = "Total";

    public static readonly string[] Header =
        ["team_path", "team_id", "calls", "input_tokens", "cached_input_tokens", "output_tokens", "cost_usd", "first_call_utc", "last_call_utc"];

    /// <summary>Null when the range is fine; otherwise what is wrong with it, in words.</summary>
    public static string? Validate(DateOnly from, DateOnly to)
    {
        if (from > to) return "The start date is after the end date.";
        if (to.DayNumber - from.DayNumber + 1 > LongestRangeDays) return $"A chargeback covers at most {LongestRangeDays} days.";
        return null;
    }

    /// <summary>Parses yyyy-MM-dd; null when absent or malformed.</summary>
    public static DateOnly? ParseDate(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

    /// <summary>The per-team lines (without the total), sorted by team path. <paramref name="teamId"/> narrows to that team and its subteams.</summary>
    public async Task<IReadOnlyList<ChargebackLine>> LinesAsync(DateOnly from, DateOnly to, Guid? teamId = null, CancellationToken ct = default)
    {
        var start = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = to.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var allTeams = await db.Teams.AsNoTracking().ToListAsync(ct);
        var paths = TeamTree.Build(allTeams, new Dictionary<Guid, int>()).ToDictionary(n => n.Team.Id, n => n.Path);
        var centres = CostCentreTree.Resolve(allTeams, await CostCentres.TeamWalletCentresAsync(db, ct));

        var calls = db.Calls.AsNoTracking().Where(c => c.TeamId != null && c.At >= start && c.At < end);
        if (teamId is { } id)
        {
            var chosen = TeamTree.WithDescendants(allTeams, [id]).ToList();
            calls = calls.Where(c => chosen.Contains(c.TeamId!.Value));
        }
        var sums = await calls.GroupBy(c => c.TeamId)
            .Select(g => new
            {
                TeamId = g.Key, Calls = g.Sum(c => c.Count), Input = g.Sum(c => c.InputTokens), Cached = g.Sum(c => c.CachedInputTokens),
                Output = g.Sum(c => c.OutputTokens), Cost = g.Sum(c => c.Cost), First = g.Min(c => c.At), Last = g.Max(c => c.At),
            })
            .ToListAsync(ct);
        return [.. sums
            .Select(s => new ChargebackLine(s.TeamId is { } t && paths.TryGetValue(t, out var path) ? path : $"(deleted team {s.TeamId})",
                s.TeamId, s.Calls, s.Input, s.Cached, s.Output, s.Cost, AsUtc(s.First), AsUtc(s.Last),
                s.TeamId is { } c ? centres.GetValueOrDefault(c)?.Code : null))
            .OrderBy(l => l.TeamPath, StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>The sum of the lines; null when there are none.</summary>
    public static ChargebackLine? Total(IReadOnlyList<ChargebackLine> lines) => lines.Count == 0 ? null
        : new ChargebackLine(TotalLabel, null, lines.Sum(l => l.Calls), lines.Sum(l => l.InputTokens), lines.Sum(l => l.CachedInputTokens),
            lines.Sum(l => l.OutputTokens), lines.Sum(l => l.Cost), lines.Min(l => l.FirstCall), lines.Max(l => l.LastCall));

    /// <summary>
    /// Writes the CSV (header, lines, total) straight to <paramref name="stream"/> as UTF-8, RFC 4180, invariant culture;
    /// a team name a spreadsheet would take for a formula is escaped.
    /// </summary>
    public async Task WriteCsvAsync(Stream stream, DateOnly from, DateOnly to, Guid? teamId = null, CancellationToken ct = default)
    {
        var lines = await LinesAsync(from, to, teamId, ct);
        await using var csv = CsvWriter.Create(stream, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
        await csv.WriteRecordAsync(Header, ct);
        foreach (var line in lines)
            await WriteAsync(csv, line, ct);
        if (Total(lines) is { } total)
            await WriteAsync(csv, total, ct);
        await csv.FlushAsync(ct);
    }

    private static async Task WriteAsync(CsvWriter csv, ChargebackLine line, CancellationToken ct)
    {
        csv.WriteField(line.TeamPath);
        csv.WriteField(line.TeamId?.ToString() ?? "");
        csv.WriteField(line.Calls, "");
        csv.WriteField(line.InputTokens, "");
        csv.WriteField(line.CachedInputTokens, "");
        csv.WriteField(line.OutputTokens, "");
        csv.WriteField(line.Cost, ""); // every digit the book holds, never rounded
        csv.WriteField(line.FirstCall, TimestampFormat);
        csv.WriteField(line.LastCall, TimestampFormat);
        await csv.EndRecordAsync(ct);
    }

    public const string TimestampFormat = "yyyy-MM-ddTHH:mm:ssZ";

    public static readonly string[] CostCentreHeader =
        ["cost_centre", "teams", "calls", "input_tokens", "cached_input_tokens", "output_tokens", "cost_usd"];

    public static readonly string[] ErpHeader =
        ["record_type", "cost_centre", "team_path", "team_id", "period_from", "period_to", "calls", "input_tokens", "cached_input_tokens", "output_tokens", "amount", "currency"];

    /// <summary>The lines grouped by cost centre, by code (ordinal), unassigned last.</summary>
    public async Task<IReadOnlyList<CostCentreLine>> CostCentreLinesAsync(DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        var lines = await LinesAsync(from, to, null, ct);
        return [.. lines.GroupBy(l => l.CostCentre ?? CostCentreTree.Unassigned)
            .OrderBy(g => g.Key == CostCentreTree.Unassigned).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CostCentreLine(g.Key, g.Sum(l => l.Calls), g.Sum(l => l.InputTokens), g.Sum(l => l.CachedInputTokens),
                g.Sum(l => l.OutputTokens), g.Sum(l => l.Cost), [.. g]))];
    }

    /// <summary>The chargeback per cost centre in one of <see cref="ChargebackLayouts"/>, UTF-8 CSV like <see cref="WriteCsvAsync"/>.</summary>
    public async Task WriteCostCentreCsvAsync(Stream stream, DateOnly from, DateOnly to, string layout, CancellationToken ct = default)
    {
        var centres = await CostCentreLinesAsync(from, to, ct);
        await using var csv = CsvWriter.Create(stream, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
        if (layout == ChargebackLayouts.Erp)
        {
            await csv.WriteRecordAsync(ErpHeader, ct);
            var period = (From: from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), To: to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            foreach (var centre in centres)
            {
                await ErpRowAsync(csv, "H", centre.CostCentre, "", "", period, centre.Calls, centre.InputTokens, centre.CachedInputTokens, centre.OutputTokens, centre.Cost, ct);
                foreach (var line in centre.Teams)
                    await ErpRowAsync(csv, "L", centre.CostCentre, line.TeamPath, line.TeamId?.ToString() ?? "", period, line.Calls, line.InputTokens,
                        line.CachedInputTokens, line.OutputTokens, line.Cost, ct);
            }
            await ErpRowAsync(csv, "T", "", "", "", period, centres.Sum(c => c.Calls), centres.Sum(c => c.InputTokens), centres.Sum(c => c.CachedInputTokens),
                centres.Sum(c => c.OutputTokens), centres.Sum(c => c.Cost), ct);
        }
        else
        {
            await csv.WriteRecordAsync(CostCentreHeader, ct);
            foreach (var centre in centres)
                await CentreRowAsync(csv, centre.CostCentre, centre.Teams.Count, centre.Calls, centre.InputTokens, centre.CachedInputTokens, centre.OutputTokens, centre.Cost, ct);
            if (centres.Count > 0)
                await CentreRowAsync(csv, TotalLabel, centres.Sum(c => c.Teams.Count), centres.Sum(c => c.Calls), centres.Sum(c => c.InputTokens),
                    centres.Sum(c => c.CachedInputTokens), centres.Sum(c => c.OutputTokens), centres.Sum(c => c.Cost), ct);
        }
        await csv.FlushAsync(ct);
    }

    /// <summary>Every digit the book holds, without the trailing zeros a database adds (numeric scale), so both providers write the same file.</summary>
    public static string Amount(decimal amount) => amount.ToString("0.############################", CultureInfo.InvariantCulture);

    private static async Task CentreRowAsync(CsvWriter csv, string centre, int teams, int calls, long input, long cached, long output, decimal cost, CancellationToken ct)
    {
        csv.WriteField(centre);
        csv.WriteField(teams, "");
        csv.WriteField(calls, "");
        csv.WriteField(input, "");
        csv.WriteField(cached, "");
        csv.WriteField(output, "");
        csv.WriteField(Amount(cost));
        await csv.EndRecordAsync(ct);
    }

    private static async Task ErpRowAsync(CsvWriter csv, string type, string centre, string team, string teamId, (string From, string To) period,
        int calls, long input, long cached, long output, decimal cost, CancellationToken ct)
    {
        csv.WriteField(type);
        csv.WriteField(centre);
        csv.WriteField(team);
        csv.WriteField(teamId);
        csv.WriteField(period.From);
        csv.WriteField(period.To);
        csv.WriteField(calls, "");
        csv.WriteField(input, "");
        csv.WriteField(cached, "");
        csv.WriteField(output, "");
        csv.WriteField(Amount(cost));
        csv.WriteField("USD");
        await csv.EndRecordAsync(ct);
    }

    private static DateTime AsUtc(DateTime at) => DateTime.SpecifyKind(at, DateTimeKind.Utc);
}
