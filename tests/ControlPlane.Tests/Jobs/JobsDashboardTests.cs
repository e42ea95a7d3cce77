using System.Net;
using System.Text.RegularExpressions;
using ControlPlane.Features.Demo;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Jobs;

/// <summary>The dashboard at /jobs: Admins run it, Auditors only read it, Members are refused.</summary>
public sealed partial class JobsDashboardTests : IAsyncLifetime
{
    private AppFactory _app = default!;

    public async Task InitializeAsync()
    {
        _app = new AppFactory(await TestDatabase.CreateAsync(DatabaseProvider.Sqlite));
        _ = _app.Server;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _app.Database.DisposeAsync();
    }

    private async Task<HttpClient> SignedInAsync(string role)
    {
        var client = _app.CreateBrowserClient();
        await client.SignInAsync(DemoData.People.First(p => p.Role == role).Email);
        return client;
    }

    /// <summary>Asks the dashboard to trigger a recurring job as its own "Trigger now" button does, antiforgery token included.</summary>
    private static async Task<HttpResponseMessage> TriggerAsync(HttpClient client, string jobId)
    {
        var page = await client.GetStringAsync("/jobs/recurring");
        var header = AntiforgeryHeader().Match(page);
        var token = AntiforgeryToken().Match(page);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/jobs/recurring/trigger")
        {
            Content = new FormUrlEncodedContent([new("jobs[]", jobId)]),
        };
        if (header.Success && token.Success) request.Headers.Add(WebUtility.HtmlDecode(header.Groups[1].Value), WebUtility.HtmlDecode(token.Groups[1].Value));
        return await client.SendAsync(request);
    }

    private int Enqueued() => (int)_app.Services.GetRequiredService<JobStorage>().GetMonitoringApi().EnqueuedCount("default");

    [Fact]
    public async Task An_admin_sees_the_recurring_jobs_with_their_schedules()
    {
        using var admin = await SignedInAsync(Roles.Admin);
        var page = await admin.GetStringAsync("/jobs/recurring");
        Assert.Contains("wallets.period-reset", page, StringComparison.Ordinal);
        Assert.Contains("audit.verify", page, StringComparison.Ordinal);
        Assert.Contains("*/5 * * * *", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_auditor_reads_the_dashboard_but_cannot_trigger()
    {
        using var auditor = await SignedInAsync(Roles.Auditor);
        Assert.Contains("wallets.period-reset", await auditor.GetStringAsync("/jobs/recurring"), StringComparison.Ordinal);

        var before = Enqueued();
        var response = await TriggerAsync(auditor, "audit.verify");
        Assert.False(response.IsSuccessStatusCode, "the dashboard is read-only for an Auditor");
        Assert.Equal(before, Enqueued());
    }

    [Fact]
    public async Task A_member_is_refused_and_an_anonymous_visitor_is_sent_to_sign_in()
    {
        using var member = await SignedInAsync(Roles.Member);
        var refused = await member.GetAsync("/jobs");
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.StartsWith("/access-denied", refused.Headers.Location!.PathAndQuery, StringComparison.Ordinal);

        using var anonymous = _app.CreateBrowserClient();
        var away = await anonymous.GetAsync("/jobs/recurring");
        Assert.Equal(HttpStatusCode.Redirect, away.StatusCode);
        Assert.StartsWith("/sign-in", away.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [GeneratedRegex("data-antiforgery-header=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryHeader();

    [GeneratedRegex("data-antiforgery-token=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
