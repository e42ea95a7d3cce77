using ControlPlane.Features.Reconciliation;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Notifications;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Reconciliation;

/// <summary>
/// Fetching a day from the provider's admin API (a local fake, never a real host) with a write-only admin key, and
/// the daily job that does it for yesterday, once.
/// </summary>
public abstract class BillFetchTests<TApp>(TApp app) where TApp : ReconciliationApp
{
    private const string Fiona = "fiona.finance@acme.test";
    private readonly TApp _app = app;

    private Task<T> UseAsync<T>(Func<ReconciliationService, Task<T>> use) =>
        _app.App.WithScopeAsync(async sp => await use(sp.GetRequiredService<ReconciliationService>()));

    [DatabaseFact]
    public async Task A_fetch_reads_every_page_of_usage_and_costs_into_one_report_and_the_key_stays_secret()
    {
        var provider = await _app.ProviderWithCallsAsync();
        await using var api = await FakeAdminApi.StartAsync();
        var fiona = await _app.App.ActorAsync(Fiona);
        var saved = await UseAsync(s => s.SaveSourceAsync(fiona, provider, BillApis.OpenAI, api.BaseUrl.ToString(), FakeAdminApi.AdminKey));
        Assert.True(saved.Succeeded, saved.Error);
        Assert.Equal("…abcd", saved.Value!.AdminKeyHint);

        var fetched = await UseAsync(s => s.FetchAsync(fiona, provider, ReconciliationApp.Day));

        Assert.True(fetched.Succeeded, fetched.Error);
        var report = fetched.Value!;
        Assert.Equal(("api", "openai-usage,openai-costs"), (report.FileName, report.Source));
        var mini = report.Lines.Single(l => l.Model == "gpt-4o-mini");
        Assert.Equal((Findings.PriceDifference, 5.00m, 300000L, 25L), (mini.Finding, mini.TheirCost!.Value, mini.TheirInputTokens!.Value, mini.TheirRequests!.Value));
        Assert.Equal(20.05m, report.TheirCost); // both cost pages
        Assert.Contains(api.Requests, r => r.PathAndQuery.Contains("page=page_AAAAAGdGxdEiJdKOAAAAAGcqsYA%3D", StringComparison.Ordinal));
        Assert.Contains(api.Requests, r => r.PathAndQuery.StartsWith("/v1/organization/usage/completions?start_time=1794700800&end_time=1794787200", StringComparison.Ordinal));
        Assert.All(api.Requests.Where(r => r.PathAndQuery.StartsWith("/v1/organization/", StringComparison.Ordinal)), r => Assert.Equal($"Bearer {FakeAdminApi.AdminKey}", r.Authorization));

        await using var db = _app.App.OpenDb();
        var stored = await db.BillSources.AsNoTracking().SingleAsync(s => s.Provider == provider);
        Assert.DoesNotContain(FakeAdminApi.AdminKey, stored.EncryptedAdminKey!, StringComparison.Ordinal);
        var audit = await db.AuditEntries.AsNoTracking().Where(e => e.Target == $"provider:{provider}").ToListAsync();
        Assert.All(audit, e => Assert.DoesNotContain(FakeAdminApi.AdminKey, e.Details + e.After + e.Before, StringComparison.Ordinal));
        Assert.DoesNotContain(await UseAsync(s => s.SourcesAsync(fiona)), v => v.AdminKeyHint == FakeAdminApi.AdminKey);
    }

    [DatabaseFact]
    public async Task An_anthropic_fetch_reads_the_usage_and_cost_reports_with_the_admin_key_header()
    {
        var provider = await _app.ProviderWithCallsAsync();
        await using var api = await FakeAdminApi.StartAsync();
        var fiona = await _app.App.ActorAsync(Fiona);
        Assert.True((await UseAsync(s => s.SaveSourceAsync(fiona, provider, BillApis.Anthropic, api.BaseUrl.ToString(), FakeAdminApi.AdminKey))).Succeeded);

        var fetched = await UseAsync(s => s.FetchAsync(fiona, provider, ReconciliationApp.Day));

        Assert.True(fetched.Succeeded, fetched.Error);
        var sonnet = fetched.Value!.Lines.Single(l => l.Model == "claude-sonnet-4-20250514");
        Assert.Equal((Findings.UnknownModel, 1.2378912m + 2.50m, 3200L), (sonnet.Finding, sonnet.TheirCost!.Value, sonnet.TheirInputTokens!.Value));
        Assert.Equal("anthropic-usage,anthropic-costs", fetched.Value.Source);
        Assert.Contains(api.Requests, r => r.PathAndQuery.StartsWith("/v1/organizations/usage_report/messages?starting_at=2026-11-15T00%3A00%3A00Z&ending_at=2026-11-16T00%3A00%3A00Z", StringComparison.Ordinal));
        Assert.All(api.Requests, r => Assert.Equal(FakeAdminApi.AdminKey, r.Authorization));
    }

    [DatabaseFact]
    public async Task A_refused_admin_key_is_reported_without_the_key()
    {
        var provider = await _app.ProviderWithCallsAsync();
        await using var api = await FakeAdminApi.StartAsync();
        var fiona = await _app.App.ActorAsync(Fiona);
        const string wrong = "sk-admin-wrong-key-99999999";
        Assert.True((await UseAsync(s => s.SaveSourceAsync(fiona, provider, BillApis.OpenAI, api.BaseUrl.ToString(), wrong))).Succeeded);

        var fetched = await UseAsync(s => s.FetchAsync(fiona, provider, ReconciliationApp.Day));

        Assert.False(fetched.Succeeded);
        Assert.Contains("answered 401", fetched.Error, StringComparison.Ordinal);
        Assert.Contains("check the admin key", fetched.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, fetched.Error, StringComparison.Ordinal);
    }

    [DatabaseFact]
    public async Task An_admin_api_at_an_inward_address_is_refused_and_a_redirect_is_not_followed_with_the_key()
    {
        var provider = await _app.ProviderWithCallsAsync();
        var fiona = await _app.App.ActorAsync(Fiona);
        var metadata = await UseAsync(s => s.SaveSourceAsync(fiona, provider, BillApis.Anthropic, "http://169.254.169.254/latest", FakeAdminApi.AdminKey));
        Assert.Contains("link-local", metadata.Error, StringComparison.Ordinal);

        await using var api = await FakeAdminApi.StartAsync();
        Assert.True((await UseAsync(s => s.SaveSourceAsync(fiona, provider, BillApis.Anthropic, new Uri(api.BaseUrl, "/moved").ToString(), FakeAdminApi.AdminKey))).Succeeded);

        var fetched = await UseAsync(s => s.FetchAsync(fiona, provider, ReconciliationApp.Day));

        Assert.False(fetched.Succeeded);
        Assert.Contains("answered 307", fetched.Error, StringComparison.Ordinal);
        // Anthropic's key travels in x-api-key, which HttpClient would carry along a redirect: only the first request came.
        var request = Assert.Single(api.Requests);
        Assert.StartsWith("/moved/v1/organizations/usage_report/messages", request.PathAndQuery, StringComparison.Ordinal);
    }

    [DatabaseFact]
    public async Task The_daily_job_reconciles_yesterday_once_however_often_it_runs()
    {
        var provider = await _app.ProviderWithCallsAsync();
        await using var api = await FakeAdminApi.StartAsync();
        var fiona = await _app.App.ActorAsync(Fiona);
        Assert.True((await UseAsync(s => s.SaveSourceAsync(fiona, provider, BillApis.OpenAI, api.BaseUrl.ToString(), FakeAdminApi.AdminKey))).Succeeded);
        // The morning after the fixture's day: "yesterday" is the day the fake serves.
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 16, 6, 30, 0, TimeSpan.Zero));

        await RunJobAsync(clock, provider);
        await RunJobAsync(clock, provider);

        await using var db = _app.App.OpenDb();
        var reports = await db.ReconciliationReports.AsNoTracking().Where(r => r.Provider == provider).ToListAsync();
        var report = Assert.Single(reports);
        Assert.Equal((ReconciliationApp.Day, "api", DailyReconciliation.Actor), (report.Day, report.FileName, report.CreatedBy));
    }

    private async Task RunJobAsync(TimeProvider clock, string provider)
    {
        await using var scope = _app.App.Services.CreateAsyncScope();
        var job = ActivatorUtilities.CreateInstance<DailyReconciliation>(scope.ServiceProvider, clock);
        // Other tests' sources point at fakes that are gone: their failures are theirs; this provider's report is checked above.
        try
        {
            await job.RunAsync(CancellationToken.None);
        }
        catch (InvalidOperationException ex)
        {
            Assert.DoesNotContain(provider, ex.Message, StringComparison.Ordinal);
        }
    }
}

public sealed class BillFetchTests_on_Sqlite(SqliteReconciliationApp app) : BillFetchTests<SqliteReconciliationApp>(app), IClassFixture<SqliteReconciliationApp>;

public sealed class BillFetchTests_on_Postgres(PostgresReconciliationApp app) : BillFetchTests<PostgresReconciliationApp>(app), IClassFixture<PostgresReconciliationApp>;
