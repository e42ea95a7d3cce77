using ControlPlane.Features.Notifications;
using ControlPlane.Features.Reconciliation;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static ControlPlane.Tests.Reconciliation.BillReaderTests;

namespace ControlPlane.Tests.Reconciliation;

/// <summary>
/// Fixture bills against our call log on a real database: an exact match has no drift; a call missing on either side,
/// a price difference, an unknown model and another currency are each named, stored, audited and alerted.
/// </summary>
public abstract class ReconciliationTests<TApp>(TApp app) where TApp : ReconciliationApp
{
    protected const string Fiona = "fiona.finance@acme.test", Aria = "aria.auditor@acme.test";

    [DatabaseFact]
    public async Task An_exact_bill_matches_with_no_drift_and_no_alert()
    {
        var provider = await app.ProviderWithCallsAsync();
        var alertsBefore = AlertsFor(provider);

        var report = Assert.Single(await ImportAsync(provider, BillFormats.GenericCsv, "generic-exact.csv"));

        Assert.Equal((ReconciliationApp.Day, 19.50m, 19.50m, 0m, 0), (report.Day, report.TheirCost!.Value, report.OurCost, report.Drift, report.DriftLines));
        Assert.All(report.Lines, l => Assert.Equal(Findings.Match, l.Finding));
        Assert.Equal(["gpt-4o", "gpt-4o-mini", "o3"], report.Lines.Select(l => l.Model).Order(StringComparer.Ordinal));
        Assert.Equal(alertsBefore, AlertsFor(provider));
    }

    [DatabaseFact]
    public async Task Each_difference_is_named_with_its_side_and_amount()
    {
        var provider = await app.ProviderWithCallsAsync();

        var report = Assert.Single(await ImportAsync(provider, BillFormats.OpenAICosts, "openai-costs.json"));

        var byModel = report.Lines.ToDictionary(l => l.Model);
        Assert.Equal((Findings.Match, 0m), (byModel["gpt-4o"].Finding, byModel["gpt-4o"].Difference!.Value));
        Assert.Equal((Findings.PriceDifference, 2.00m, true), (byModel["gpt-4o-mini"].Finding, byModel["gpt-4o-mini"].Difference!.Value, byModel["gpt-4o-mini"].Drifted));
        Assert.Equal((Findings.MissingOnOurSide, 1.75m), (byModel["gpt-4.1"].Finding, byModel["gpt-4.1"].Difference!.Value));
        Assert.Equal((Findings.UnknownModel, 0.8m), (byModel["gpt-9-preview"].Finding, byModel["gpt-9-preview"].Difference!.Value));
        Assert.Equal((Findings.MissingOnTheirSide, -4.00m, 10L), (byModel["o3"].Finding, byModel["o3"].Difference!.Value, byModel["o3"].OurRequests));
        Assert.Contains("we logged 3.00 USD", byModel["gpt-4o-mini"].Note, StringComparison.Ordinal);
        Assert.Equal((4, 2.00m + 1.75m + 0.8m + 4.00m, 20.05m, 19.50m), (report.DriftLines, report.Drift, report.TheirCost!.Value, report.OurCost));

        // Stored with its lines, in the audit chain, and alerted once with a link to the report.
        var stored = await FindAsync(report.Id);
        Assert.Equal(5, stored!.Lines.Count);
        Assert.True(stored.Lines[0].Drifted); // drifting lines first
        await using var db = app.App.OpenDb();
        var entry = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Target == $"reconciliation:{report.Id}");
        Assert.Equal(("reconciliation.imported", Fiona), (entry.Action, entry.Actor));
        var alert = Assert.Single(AlertsFor(provider));
        Assert.Equal((AlertKinds.ReconciliationDrift, $"/reconciliation?report={report.Id}"), (alert.Kind, alert.Link));
        Assert.Contains("gpt-4o-mini", alert.Body, StringComparison.Ordinal);
    }

    [DatabaseFact]
    public async Task A_usage_report_compares_tokens_and_requests_without_money()
    {
        var provider = await app.ProviderWithCallsAsync();

        var report = Assert.Single(await ImportAsync(provider, BillFormats.OpenAIUsage, "openai-usage.json"));

        var byModel = report.Lines.ToDictionary(l => l.Model);
        Assert.Null(report.TheirCost);
        Assert.Equal(Findings.Match, byModel["gpt-4o"].Finding);
        Assert.Equal(Findings.Match, byModel["gpt-4o-mini"].Finding);
        Assert.Equal((Findings.MissingOnOurSide, 3L), (byModel["gpt-4.1"].Finding, byModel["gpt-4.1"].TheirRequests!.Value));
        Assert.Equal(Findings.UnknownModel, byModel["gpt-9-preview"].Finding);
        Assert.Equal(Findings.MissingOnTheirSide, byModel["o3"].Finding);
    }

    [DatabaseFact]
    public async Task A_bill_in_another_currency_is_named_and_its_money_not_compared()
    {
        var provider = await app.ProviderWithCallsAsync();

        var report = Assert.Single(await ImportAsync(provider, BillFormats.GenericCsv, "generic-eur.csv"));

        Assert.Equal("EUR", report.Currency);
        var line = report.Lines.Single(l => l.Model == "gpt-4o");
        Assert.Equal((Findings.CurrencyDifference, true, (decimal?)null, "EUR"), (line.Finding, line.Drifted, line.Difference, line.TheirCurrency));
        Assert.Contains("11.50 EUR", line.Note, StringComparison.Ordinal);
        Assert.Equal(0m, report.Drift); // no USD amount is made up across currencies
    }

    [DatabaseFact]
    public async Task A_bad_file_or_an_unknown_provider_is_refused_with_what_to_fix_and_nothing_is_stored()
    {
        var provider = await app.ProviderWithCallsAsync();
        var fiona = await app.App.ActorAsync(Fiona);

        var malformed = await UseAsync(s => s.ImportAsync(fiona, provider, BillFormats.OpenAICosts, new MemoryStream("{\"data\": [{\"start_time\": 1794700800, \"results\": [{\"line_item\": \"gpt-4o, input\"}]}]}"u8.ToArray()), "bad.json"));
        var unknown = await UseAsync(s => s.ImportAsync(fiona, "no-such-provider", BillFormats.GenericCsv, Fixture("generic-exact.csv", provider), "x.csv"));
        var aria = await app.App.ActorAsync(Aria);
        var auditor = await UseAsync(s => s.ImportAsync(aria, provider, BillFormats.GenericCsv, Fixture("generic-exact.csv", provider), "x.csv"));

        Assert.Equal("OpenAI costs API JSON: data[0].results[0].amount: missing; expected {\"value\": …, \"currency\": \"usd\"}.", malformed.Error);
        Assert.Equal("No provider is named 'no-such-provider'.", unknown.Error);
        Assert.False(auditor.Succeeded);
        await using var db = app.App.OpenDb();
        Assert.False(await db.ReconciliationReports.AnyAsync(r => r.Provider == provider));
    }

    [DatabaseFact]
    public async Task Auditors_read_reports_and_members_see_none()
    {
        var provider = await app.ProviderWithCallsAsync();
        var report = Assert.Single(await ImportAsync(provider, BillFormats.GenericCsv, "generic-exact.csv"));

        var auditor = await app.App.ActorAsync(Aria);
        var member = await app.App.ActorAsync("mia.member@acme.test");

        Assert.Contains(await UseAsync(s => s.ListAsync(auditor)), r => r.Id == report.Id);
        Assert.NotNull(await UseAsync(s => s.FindAsync(auditor, report.Id)));
        Assert.Empty(await UseAsync(s => s.ListAsync(member)));
        Assert.Null(await UseAsync(s => s.FindAsync(member, report.Id)));
    }

    protected async Task<IReadOnlyList<ReconciliationReport>> ImportAsync(string provider, string format, string fixture)
    {
        var fiona = await app.App.ActorAsync(Fiona);
        var outcome = await UseAsync(s => s.ImportAsync(fiona, provider, format, Fixture(fixture, provider), fixture));
        Assert.True(outcome.Succeeded, outcome.Error);
        return outcome.Value!;
    }

    protected async Task<ReconciliationReport?> FindAsync(Guid id) => await UseAsync(async s => await s.FindAsync(await app.App.ActorAsync(Fiona), id));

    protected Task<T> UseAsync<T>(Func<ReconciliationService, Task<T>> use) =>
        app.App.WithScopeAsync(async sp => await use(sp.GetRequiredService<ReconciliationService>()));

    protected List<Alert> AlertsFor(string provider) => [.. app.Alerts.Raised.Where(a => a.Facts?.GetValueOrDefault("Provider") == provider)];
}

public sealed class ReconciliationTests_on_Sqlite(SqliteReconciliationApp app) : ReconciliationTests<SqliteReconciliationApp>(app), IClassFixture<SqliteReconciliationApp>;

public sealed class ReconciliationTests_on_Postgres(PostgresReconciliationApp app) : ReconciliationTests<PostgresReconciliationApp>(app), IClassFixture<PostgresReconciliationApp>;
