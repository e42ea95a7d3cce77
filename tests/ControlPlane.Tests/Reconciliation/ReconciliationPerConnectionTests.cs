using System.Text;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.Reconciliation;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static ControlPlane.Tests.Reconciliation.BillReaderTests;

namespace ControlPlane.Tests.Reconciliation;

/// <summary>
/// One organisation-wide OpenAI bill grouped by project and key (fixtures openai-usage-projects.json and
/// openai-costs-projects.json): proj_prod is our provider A's, proj_batch our provider B's, proj_shadow and a line
/// without a project are nobody's. Each connection is compared with its own part only, and the report names the ids
/// that belong to no connection. The ids are made unique per test (the fixture's "proj_" and "key_" get a tag).
/// </summary>
public abstract class ReconciliationPerConnectionTests<TApp>(TApp app) where TApp : ReconciliationApp
{
    private const string Fiona = "fiona.finance@acme.test";

    private static IReadOnlyList<BillLine> Bill(string tag) =>
        [.. Read(BillFormats.OpenAIUsage, "openai-usage-projects.json", tag), .. Read(BillFormats.OpenAICosts, "openai-costs-projects.json", tag)];

    private static IReadOnlyList<BillLine> Read(string format, string fixture, string tag) =>
        BillReader.Read(format, new MemoryStream(Encoding.UTF8.GetBytes(File.ReadAllText(FixturePath(fixture))
            .Replace("\"proj_", $"\"proj{tag}_", StringComparison.Ordinal).Replace("\"key_", $"\"key{tag}_", StringComparison.Ordinal))), "p");

    private async Task<T> UseAsync<T>(Func<IServiceProvider, Task<T>> use) => await app.App.WithScopeAsync(use);

    private async Task OwnAsync(string provider, string ids)
    {
        var fiona = await app.App.ActorAsync(Fiona);
        var saved = await UseAsync(sp => sp.GetRequiredService<ProviderBillingIds>().SaveAsync(fiona, provider, ids));
        Assert.True(saved.Succeeded, saved.Error);
    }

    /// <summary>As a fetch does: the usage and the cost report of the day together.</summary>
    private Task<ReconciliationReport> ReconcileAsync(string provider, string tag) =>
        UseAsync(sp => sp.GetRequiredService<ReconciliationService>().ReconcileAsync("test", provider, ReconciliationApp.Day, Bill(tag),
            $"{BillFormats.OpenAIUsage},{BillFormats.OpenAICosts}", "api", CancellationToken.None));

    [DatabaseFact]
    public async Task Each_connection_is_compared_with_its_own_projects_and_the_ids_of_no_connection_are_named()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var a = await app.ProviderWithCallsAsync();
        var b = await app.ProviderWithCallsAsync();
        var c = await app.ProviderWithCallsAsync();
        await OwnAsync(a, $"proj{tag}_prod");
        await OwnAsync(b, $"proj{tag}_batch");

        var forA = await ReconcileAsync(a, tag);
        var forB = await ReconcileAsync(b, tag);
        var forC = await ReconcileAsync(c, tag);

        // A: its project's usage and costs are exactly its calls.
        Assert.Equal((19.50m, 19.50m, 0), (forA.TheirCost!.Value, forA.OurCost, forA.DriftLines));
        Assert.All(forA.Lines, l => Assert.Equal(Findings.Match, l.Finding));
        Assert.Equal(40, forA.Lines.Single(l => l.Model == "gpt-4o").TheirRequests);
        // B: the same calls, but its project was billed 1.50 more for gpt-4o.
        Assert.Equal((21.00m, 1), (forB.TheirCost!.Value, forB.DriftLines));
        var drifting = Assert.Single(forB.Lines, l => l.Drifted);
        Assert.Equal(("gpt-4o", Findings.PriceDifference, 1.50m), (drifting.Model, drifting.Finding, drifting.Difference!.Value));
        // Both name what is nobody's: a shadow project and usage without a project.
        var unmatched = $"(no project or key) (gpt-4.1): 0.10 USD, 1 request(s), 800 in / 200 out tokens; "
            + $"proj{tag}_shadow (gpt-4o): 0.25 USD, 3 request(s), 5,000 in / 1,000 out tokens";
        Assert.Equal(unmatched, forA.UnmatchedScopes);
        Assert.Equal(unmatched, forB.UnmatchedScopes);
        // C owns no ids: it takes what no connection claims (and misses its own calls there), nothing is unmatched.
        Assert.Null(forC.UnmatchedScopes);
        Assert.Equal(0.35m, forC.TheirCost);

        // A report without drift still alerts when the bill has usage of no connection, and says whose ids.
        var alert = Assert.Single(app.Alerts.Raised, x => x.Kind == AlertKinds.ReconciliationDrift && x.Link == $"/reconciliation?report={forA.Id}");
        Assert.Contains($"proj{tag}_shadow", alert.Body, StringComparison.Ordinal);
        await using var db = app.App.OpenDb();
        Assert.Equal(unmatched, (await db.ReconciliationReports.AsNoTracking().SingleAsync(r => r.Id == forA.Id)).UnmatchedScopes);
    }

    [DatabaseFact]
    public async Task Without_any_ids_the_bill_is_compared_whole_as_before()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var provider = await app.ProviderWithCallsAsync();
        await using (var db = app.App.OpenDb())
            await db.Providers.ExecuteUpdateAsync(s => s.SetProperty(p => p.BillingIds, (string?)null)); // no connection owns any id

        var report = await ReconcileAsync(provider, tag);

        Assert.Null(report.UnmatchedScopes);
        Assert.Equal(19.50m + 21.00m + 0.35m, report.TheirCost);
    }

    [DatabaseFact]
    public async Task Ids_are_checked_an_id_belongs_to_one_connection_and_saving_is_audited()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var a = await app.ProviderWithCallsAsync();
        var b = await app.ProviderWithCallsAsync();
        var fiona = await app.App.ActorAsync(Fiona);
        var aria = await app.App.ActorAsync("aria.auditor@acme.test");
        using var scope = app.App.Services.CreateScope();
        var ids = scope.ServiceProvider.GetRequiredService<ProviderBillingIds>();

        var saved = await ids.SaveAsync(fiona, a, $"proj{tag}_one, key{tag}_two\nproj{tag}_one");
        Assert.True(saved.Succeeded, saved.Error);
        Assert.Equal([$"proj{tag}_one", $"key{tag}_two"], saved.Value!.Ids);
        Assert.Equal($"'proj{tag}_one' already belongs to the provider '{a}': an id belongs to one provider.", (await ids.SaveAsync(fiona, b, $"proj{tag}_one")).Error);
        Assert.StartsWith("'proj/../x' is not a provider-side id", (await ids.SaveAsync(fiona, b, "proj/../x")).Error, StringComparison.Ordinal);
        Assert.Equal("No provider is named 'nobody'.", (await ids.SaveAsync(fiona, "nobody", "proj_x")).Error);
        Assert.Equal(ReconciliationService.WriteRefusal, (await ids.SaveAsync(aria, b, "proj_y")).Error);
        Assert.Equal([$"proj{tag}_one", $"key{tag}_two"], (await ids.ListAsync(aria)).Single(v => v.Provider == a).Ids);

        await using var db = app.App.OpenDb();
        var entry = await db.AuditEntries.AsNoTracking().Where(e => e.Action == "reconciliation.billing-ids-saved" && e.Target == $"provider:{a}").SingleAsync();
        Assert.Equal(Fiona, entry.Actor);
    }
}

/// <summary>Which line is whose, without a database.</summary>
public sealed class BillScopesTests
{
    private static BillLine Line(string? key, string? project, decimal cost = 1m) =>
        new(new DateOnly(2026, 11, 15), "gpt-4o", key ?? project, null, null, null, cost, "USD") { ParentScope = key is null ? null : project };

    [Fact]
    public void A_key_decides_before_its_project()
    {
        var owners = new Dictionary<string, string> { ["proj_a"] = "A", ["key_b"] = "B" };
        var bill = new[] { Line("key_b", "proj_a"), Line("key_a", "proj_a") };

        Assert.Equal([bill[1]], BillScopes.Of(bill, "A", owners).Mine);
        Assert.Equal([bill[0]], BillScopes.Of(bill, "B", owners).Mine);
    }

    [Fact]
    public void A_bill_without_projects_or_keys_is_compared_whole()
    {
        var bill = new[] { Line(null, null), Line(null, null, 2m) };
        var split = BillScopes.Of(bill, "A", new Dictionary<string, string> { ["proj_a"] = "A" });
        Assert.Equal(bill, split.Mine);
        Assert.Null(split.Unmatched);
    }
}

public sealed class ReconciliationPerConnectionTests_on_Sqlite(SqliteReconciliationApp app)
    : ReconciliationPerConnectionTests<SqliteReconciliationApp>(app), IClassFixture<SqliteReconciliationApp>;

public sealed class ReconciliationPerConnectionTests_on_Postgres(PostgresReconciliationApp app)
    : ReconciliationPerConnectionTests<PostgresReconciliationApp>(app), IClassFixture<PostgresReconciliationApp>;
