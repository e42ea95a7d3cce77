using System.Text;
using ControlPlane.Features.FinOps;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.People;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.FinOps;

/// <summary>The app with an export root in a temp folder and 127.0.0.1 allowed as a webhook address (the test's receiver).</summary>
public class FinOpsApp(DatabaseProvider provider) : IAsyncLifetime
{
    public string ExportRoot { get; } = Path.Combine(Path.GetTempPath(), "cp-finops-" + Guid.NewGuid().ToString("N"));
    public AppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        App = new AppFactory(await TestDatabase.CreateAsync(provider), settings: new Dictionary<string, string?>
        {
            ["FinOps:ExportRoot"] = ExportRoot,
            ["Gateway:AllowedProviderAddresses:0"] = "127.0.0.1",
        });
        _ = App.Server;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await App.Database.DisposeAsync();
        if (Directory.Exists(ExportRoot)) Directory.Delete(ExportRoot, recursive: true);
    }
}

public sealed class SqliteFinOpsApp() : FinOpsApp(DatabaseProvider.Sqlite);

public sealed class PostgresFinOpsApp() : FinOpsApp(DatabaseProvider.Postgres);

/// <summary>
/// Scheduled chargeback exports reach real receivers: an SMTP server gets the file as an attachment, a folder under the
/// export root gets it written, a webhook gets it signed; each run is stored; the job sends a period once.
/// </summary>
public abstract class ChargebackExportScheduleTests<TApp>(TApp fixture) where TApp : FinOpsApp
{
    private static readonly Actor Finance = new(null, "finance@test.example", Roles.FinanceAdmin);
    private AppFactory App => fixture.App;

    private Task<T> UseAsync<T>(Func<ChargebackExports, Task<T>> use) => App.WithScopeAsync(sp => use(sp.GetRequiredService<ChargebackExports>()));

    private static string Unique(string name) => $"{name} {Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>The file the export should carry: the same writer over the last complete month.</summary>
    private async Task<string> ExpectedAsync(string layout)
    {
        var period = ExportPeriod.Last(ExportCadences.Monthly, DateOnly.FromDateTime(DateTime.UtcNow));
        using var stream = new MemoryStream();
        await App.WithScopeAsync(async sp => { await sp.GetRequiredService<ChargebackExport>().WriteCostCentreCsvAsync(stream, period.From, period.To, layout); return true; });
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private async Task<ChargebackSchedule> CreateAsync(ExportForm form)
    {
        var created = await UseAsync(s => s.CreateAsync(Finance, form));
        Assert.True(created.Succeeded, created.Error);
        return created.Value!;
    }

    [Fact]
    public async Task An_email_export_reaches_a_real_SMTP_server_with_the_file_attached()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        var channel = await App.WithScopeAsync(async sp => (await sp.GetRequiredService<NotificationSettings>().SaveChannelAsync(Finance, null, new ChannelForm
        {
            Name = Unique("Finance mail"), Kind = ChannelKinds.Email, SmtpHost = "127.0.0.1", SmtpPort = smtp.Port, SmtpSecurity = SmtpSecurities.None,
            From = "controlplane@test.example",
        })).Value!.Id);
        var schedule = await CreateAsync(new ExportForm
        {
            Name = Unique("Monthly ERP"), Layout = ChargebackLayouts.Erp, Destination = ExportDestinations.Email, ChannelId = channel, Target = "ap@test.example",
        });

        var run = await UseAsync(s => s.RunNowAsync(Finance, schedule.Id));

        Assert.True(run.Value!.Ok, run.Value.Error);
        var message = await smtp.NextMessageAsync();
        Assert.Equal(["ap@test.example"], message.GetProperty("to").EnumerateArray().Select(e => e.GetString()));
        var attachment = Assert.Single(message.GetProperty("attachments").EnumerateArray());
        Assert.Equal(run.Value.FileName, attachment.GetProperty("filename").GetString());
        Assert.StartsWith("chargeback-erp-", run.Value.FileName, StringComparison.Ordinal);
        Assert.Equal("text/csv", attachment.GetProperty("contentType").GetString());
        Assert.Equal(await ExpectedAsync(ChargebackLayouts.Erp), attachment.GetProperty("content").GetString());
        var runs = await UseAsync(s => s.RunsAsync(Finance));
        var row = Assert.Single(runs, r => r.Id == run.Value.Id);
        Assert.Equal(("manual", Finance.Name, "e-mail to ap@test.example"), (row.Trigger, row.By, row.Where));
        await using var db = App.OpenDb();
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Action == "finops.export.run" && e.Target == $"chargeback-schedule:{schedule.Id}"));
    }

    [Fact]
    public async Task A_folder_export_writes_the_file_under_the_export_root_and_never_outside_it()
    {
        var schedule = await CreateAsync(new ExportForm { Name = Unique("Folder"), Destination = ExportDestinations.Folder, Target = "chargeback/monthly" });

        var run = await UseAsync(s => s.RunNowAsync(Finance, schedule.Id));

        Assert.True(run.Value!.Ok, run.Value.Error);
        var written = await File.ReadAllTextAsync(Path.Combine(fixture.ExportRoot, "chargeback", "monthly", run.Value.FileName));
        Assert.Equal(await ExpectedAsync(ChargebackLayouts.CostCentre), written);
        foreach (var outside in new[] { "../escape", "chargeback/../../escape", "/etc", "C:\\exports" })
        {
            var refused = await UseAsync(s => s.CreateAsync(Finance, new ExportForm { Name = Unique("Escape"), Destination = ExportDestinations.Folder, Target = outside }));
            Assert.False(refused.Succeeded, outside);
        }
        Assert.Null(ExportFolder.Resolve(null, "x").Folder);
    }

    [Fact]
    public async Task A_webhook_export_is_signed_like_notification_webhooks_and_an_inward_address_is_refused()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        const string signing = "finops-signing-secret-0042";
        var schedule = await CreateAsync(new ExportForm
        {
            Name = Unique("Hook"), Cadence = ExportCadences.Weekly, Day = 1, Destination = ExportDestinations.Webhook,
            WebhookUrl = receiver.Url("/finops/chargeback"), SigningSecret = signing,
        });

        var run = await UseAsync(s => s.RunNowAsync(Finance, schedule.Id));

        Assert.True(run.Value!.Ok, run.Value.Error);
        var received = await receiver.NextAsync();
        var timestamp = long.Parse(received.Headers[WebhookSignature.TimestampHeader], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(WebhookSignature.Verify(signing, timestamp, received.Body, received.Headers[WebhookSignature.SignatureHeader]));
        Assert.Equal(run.Value.Id.ToString(), received.Headers[WebhookSignature.DeliveryHeader]);
        Assert.StartsWith("cost_centre,teams,calls", received.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(signing, (await UseAsync(s => s.SchedulesAsync(Finance))).Single(s => s.Id == schedule.Id).Target, StringComparison.Ordinal);

        var metadata = await UseAsync(s => s.CreateAsync(Finance, new ExportForm
        {
            Name = Unique("Metadata"), Destination = ExportDestinations.Webhook, WebhookUrl = "http://169.254.169.254/latest", SigningSecret = signing,
        }));
        Assert.Contains("link-local", metadata.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_webhook_export_that_is_redirected_fails_without_following_the_redirect()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var elsewhere = await WebhookReceiver.StartAsync();
        receiver.Answers.Enqueue(System.Net.HttpStatusCode.TemporaryRedirect);
        receiver.RedirectTo = elsewhere.Url("/stolen");
        var schedule = await CreateAsync(new ExportForm
        {
            Name = Unique("Moved"), Destination = ExportDestinations.Webhook, WebhookUrl = receiver.Url("/moved"), SigningSecret = "finops-signing-secret-0042",
        });

        var run = await UseAsync(s => s.RunNowAsync(Finance, schedule.Id));

        Assert.False(run.Value!.Ok);
        Assert.StartsWith("HTTP 307", run.Value.Error, StringComparison.Ordinal);
        Assert.Equal("/moved", (await receiver.NextAsync()).Path);
        // The run has ended: a followed redirect would have reached the second receiver before RunNowAsync returned.
        using var none = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => elsewhere.NextAsync(none.Token));
    }

    [Fact]
    public async Task The_job_runs_a_due_export_once_per_period_and_a_failed_run_is_stored_with_its_error()
    {
        var folder = await CreateAsync(new ExportForm { Name = Unique("Due"), Destination = ExportDestinations.Folder, Target = "due" });
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answers.Enqueue(System.Net.HttpStatusCode.InternalServerError);
        var failing = await CreateAsync(new ExportForm
        {
            Name = Unique("Failing"), Destination = ExportDestinations.Webhook, WebhookUrl = receiver.Url("/down"), SigningSecret = "finops-signing-secret-0042",
        });

        await App.WithScopeAsync(async sp => { await sp.GetRequiredService<ChargebackExportJob>().RunAsync(CancellationToken.None); return true; });
        await App.WithScopeAsync(async sp => { await sp.GetRequiredService<ChargebackExportJob>().RunAsync(CancellationToken.None); return true; });

        await using var db = App.OpenDb();
        var ok = await db.Set<ChargebackRun>().Where(r => r.ScheduleId == folder.Id).ToListAsync();
        Assert.True(Assert.Single(ok).Ok);
        Assert.Equal("schedule", ok[0].Trigger);
        var failed = await db.Set<ChargebackRun>().Where(r => r.ScheduleId == failing.Id).OrderBy(r => r.StartedAt).ToListAsync();
        Assert.False(failed[0].Ok);
        Assert.Equal("HTTP 500 Internal Server Error: upstream trouble", failed[0].Error);
        Assert.True(failed[^1].Ok); // the second run retried the failed period, and the receiver answered
    }

    [Fact]
    public async Task A_bad_schedule_is_refused_with_what_to_fix_and_only_finance_and_the_admins_may_schedule()
    {
        var lead = new Actor(null, "lead@test.example", Roles.TeamLead);
        Assert.False((await UseAsync(s => s.CreateAsync(lead, new ExportForm { Name = "x", Destination = ExportDestinations.Folder, Target = "x" }))).Succeeded);
        var day = await UseAsync(s => s.CreateAsync(Finance, new ExportForm { Name = Unique("Day"), Day = 31, Destination = ExportDestinations.Folder, Target = "x" }));
        Assert.Equal("A monthly export runs on a day from 1 to 28.", day.Error);
        var mail = await UseAsync(s => s.CreateAsync(Finance, new ExportForm { Name = Unique("Mail"), Destination = ExportDestinations.Email, ChannelId = Guid.NewGuid(), Target = "not-an-address" }));
        Assert.Equal("'not-an-address' is not an e-mail address.", mail.Error);
    }
}

public sealed class ChargebackExportScheduleTests_on_Sqlite(SqliteFinOpsApp f) : ChargebackExportScheduleTests<SqliteFinOpsApp>(f), IClassFixture<SqliteFinOpsApp>;

public sealed class ChargebackExportScheduleTests_on_Postgres(PostgresFinOpsApp f) : ChargebackExportScheduleTests<PostgresFinOpsApp>(f), IClassFixture<PostgresFinOpsApp>;
