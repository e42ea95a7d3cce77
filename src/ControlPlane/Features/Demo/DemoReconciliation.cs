using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Reconciliation;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Demo;

/// <summary>
/// The demo's reconciliation: yesterday's bill of the provider with the most spend, as if it had been uploaded, made
/// from the demo's own rollups with a few differences a reader meets in real bills: one model billed 6 % more, one of
/// our models not on the bill, and a model the provider billed that we never priced. Runs after the rollups are built.
/// </summary>
internal static class DemoReconciliation
{
    public static async Task SeedAsync(ControlPlaneDb db, DateTime now, CancellationToken ct)
    {
        var day = DateOnly.FromDateTime(now).AddDays(-1);
        var start = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var rows = await db.CallRollups.AsNoTracking().Where(r => r.Grain == RollupGrain.Day && r.Bucket == start && r.Provider != "")
            .Select(r => new { r.Provider, r.Model, r.Calls, r.Errors, r.InputTokens, r.OutputTokens, r.Cost }).ToListAsync(ct);
        var provider = rows.GroupBy(r => r.Provider).OrderByDescending(g => g.Sum(r => r.Cost)).FirstOrDefault()?.Key;
        if (provider is null) return;
        var ours = rows.Where(r => r.Provider == provider).GroupBy(r => r.Model)
            .Select(g => new OurUsage(g.Key, null, g.Sum(r => r.InputTokens), g.Sum(r => r.OutputTokens), g.Sum(r => r.Calls - r.Errors), g.Sum(r => r.Cost)))
            .OrderByDescending(o => o.Cost).ToList();
        // The costliest model billed 6 % (at least 1.50 USD) more; the cheapest, when there are two or more, not billed at all.
        var bill = ours.Select((o, i) => i == ours.Count - 1 && ours.Count >= 2 ? null
                : new BillLine(day, o.Model, null, o.InputTokens, o.OutputTokens, o.Requests, i == 0 ? o.Cost + Math.Max(decimal.Round(o.Cost * 0.06m, 6), 1.50m) : o.Cost, "USD"))
            .OfType<BillLine>().Append(new BillLine(day, "gpt-4o-audio-preview", null, 12000, 3000, 4, 1.20m, "USD")).ToList();
        var providerId = await db.Providers.AsNoTracking().Where(p => p.Name == provider).Select(p => p.Id).FirstOrDefaultAsync(ct);
        var priced = (await db.Prices.AsNoTracking().Where(p => p.ProviderId == providerId).Select(p => p.UpstreamModel).ToListAsync(ct))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        // A demo's calls cost cents: its report drifts from one cent (and 2 %), so every kind of line shows.
        var threshold = new DriftThreshold(0.01m, 2m);
        var lines = BillComparison.Compare(bill, ours, priced, threshold);
        var report = new ReconciliationReport
        {
            Id = Guid.CreateVersion7(), Day = day, Provider = provider, Source = BillFormats.GenericCsv, FileName = $"{provider}-{day:yyyy-MM-dd}.csv",
            Currency = "USD", TheirCost = bill.Sum(l => l.Cost ?? 0m), OurCost = ours.Sum(o => o.Cost),
            Drift = lines.Where(l => l.Drifted).Sum(l => Math.Abs(l.Difference ?? 0m)), DriftLines = lines.Count(l => l.Drifted),
            ThresholdAbsolute = threshold.Absolute, ThresholdPercent = threshold.Percent, CreatedAt = now.AddHours(-1), CreatedBy = "fiona.finance@acme.test",
        };
        foreach (var line in lines) line.ReportId = report.Id;
        report.Lines = lines;
        db.ReconciliationReports.Add(report);
        await db.SaveChangesAsync(ct);
    }
}
