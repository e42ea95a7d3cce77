using System.Net;
using System.Net.Sockets;
using System.Text;
using Bunit;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Components;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Gateway.Pages;

/// <summary>The Providers page on MudBlazor: list, editor dialog, write-only key, connection test, enable/disable.</summary>
public sealed class ProvidersPageTests(DashboardApp app) : GatewayPageContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task An_admin_sees_every_provider_with_its_key_hint_and_every_action()
    {
        await SignInAsAsync("adam.admin@acme.test");

        var page = Render<ProvidersPage>();

        page.WaitForAssertion(() => Assert.Contains("anthropic", RowNames(page)));
        Assert.Equal(["anthropic", "azure-eu", "gemini", "groq", "openai"], RowNames(page).Where(n => !n.StartsWith("ui-", StringComparison.Ordinal)).Order());
        Assert.Single(page.FindAll("[data-testid=new-provider]"));
        Assert.NotEmpty(page.FindAll("[data-testid=test-connection]"));
        Assert.NotEmpty(page.FindAll("[data-testid=edit-provider]"));
        Assert.NotEmpty(page.FindAll("[data-testid=toggle-provider]"));
    }

    [Fact]
    public async Task An_auditor_reads_the_providers_but_has_no_button_that_changes_them()
    {
        await SignInAsAsync("aria.auditor@acme.test");

        var page = Render<ProvidersPage>();

        page.WaitForAssertion(() => Assert.Contains("openai", RowNames(page)));
        Assert.Empty(page.FindAll("[data-testid=new-provider]"));
        Assert.Empty(page.FindAll("[data-testid=test-connection]"));
        Assert.Empty(page.FindAll("[data-testid=edit-provider]"));
        Assert.Empty(page.FindAll("[data-testid=toggle-provider]"));
    }

    [Theory]
    [InlineData("mia.member@acme.test", false)]
    [InlineData("fiona.finance@acme.test", false)]
    [InlineData("leo.lead@acme.test", false)]
    [InlineData("aria.auditor@acme.test", true)]
    [InlineData("olivia.owner@acme.test", true)]
    public async Task Only_owners_admins_and_auditors_may_open_the_page(string email, bool mayOpen)
    {
        await SignInAsAsync(email);
        var user = (await Services.GetRequiredService<AuthenticationStateProvider>().GetAuthenticationStateAsync()).User;
        var policy = typeof(ProvidersPage).GetCustomAttributes(typeof(AuthorizeAttribute), false).Cast<AuthorizeAttribute>().Single().Policy;

        var result = await Services.GetRequiredService<IAuthorizationService>().AuthorizeAsync(user, policy!);

        Assert.Equal(Policies.ProvidersView, policy);
        Assert.Equal(mayOpen, result.Succeeded);
    }

    [Fact]
    public async Task The_editor_shows_the_services_rules_beside_the_fields_and_saves_nothing_until_they_hold()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ProvidersPage>();
        var before = await ProviderCountAsync();

        page.WaitForElement("[data-testid=new-provider]").Click();
        Dialogs.WaitForElement("[data-testid=save-provider]").Click();

        Dialogs.WaitForAssertion(() => Assert.Equal("A provider needs a name of at most 100 characters.", Dialogs.Find("input[data-testid=provider-name]").FieldError()));
        Assert.Equal("The base URL must be an absolute http(s) URL, e.g. https://api.openai.com/v1.", Dialogs.Find("input[data-testid=provider-url]").FieldError());

        Dialogs.Find("input[data-testid=provider-name]").Input("ui-rules");
        Dialogs.Find("input[data-testid=provider-url]").Input("https://fine.example.com");
        Dialogs.WaitForAssertion(() => Assert.Null(Dialogs.Find("input[data-testid=provider-url]").FieldError()));
        Dialogs.Find("input[data-testid=provider-url]").Input("ftp://files.example.com");
        Dialogs.WaitForAssertion(() => Assert.Equal("The base URL must be an absolute http(s) URL, e.g. https://api.openai.com/v1.",
            Dialogs.Find("input[data-testid=provider-url]").FieldError()));
        Dialogs.Find("input[data-testid=provider-url]").Input("/v1/relative");
        Dialogs.WaitForAssertion(() => Assert.StartsWith("The base URL must be an absolute http(s) URL",
            Dialogs.Find("input[data-testid=provider-url]").FieldError(), StringComparison.Ordinal));
        Assert.Null(Dialogs.Find("input[data-testid=provider-name]").FieldError());

        Dialogs.Find("[data-testid=save-provider]").Click();
        Dialogs.WaitForAssertion(() => Assert.Contains(Snackbar.Shown(), s => s.Severity == Severity.Warning && s.Text.Contains("need attention", StringComparison.Ordinal)));
        Assert.Single(Dialogs.FindAll("[data-testid=provider-editor]"));
        Assert.Equal(before, await ProviderCountAsync());
    }

    [Fact]
    public async Task Azure_needs_an_api_version_and_the_field_appears_only_for_azure()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ProvidersPage>();
        page.WaitForElement("[data-testid=new-provider]").Click();
        Dialogs.WaitForElement("[data-testid=provider-editor]");
        Assert.Empty(Dialogs.FindAll("[data-testid=provider-api-version]"));
        Assert.Contains("OpenAI-compatible", Dialogs.Find("[data-testid=provider-kind-help]").TextContent, StringComparison.Ordinal);

        await Dialogs.FindComponent<MudSelect<string>>().ChooseAsync(ProviderKinds.AzureOpenAI);
        Dialogs.Find("input[data-testid=provider-name]").Input("ui-azure");
        Dialogs.Find("input[data-testid=provider-url]").Input("https://ui.openai.azure.com");
        Dialogs.WaitForElement("input[data-testid=provider-api-version]");
        Assert.Equal("https://<resource>.openai.azure.com", Dialogs.Find("input[data-testid=provider-url]").GetAttribute("placeholder"));
        Dialogs.Find("[data-testid=save-provider]").Click();

        Dialogs.WaitForAssertion(() => Assert.Equal("Azure OpenAI needs an api-version, e.g. 2024-10-21.",
            Dialogs.Find("input[data-testid=provider-api-version]").FieldError()));
        await using var db = App.App.OpenDb();
        Assert.False(await db.Providers.AnyAsync(p => p.Name == "ui-azure"));
    }

    [Fact]
    public async Task A_new_provider_is_saved_with_its_key_encrypted_and_only_the_hint_is_ever_shown()
    {
        const string secret = "sk-ui-never-shown-Zq81Zq81";
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ProvidersPage>();

        page.WaitForElement("[data-testid=new-provider]").Click();
        Dialogs.WaitForElement("input[data-testid=provider-name]").Input("ui-new");
        Dialogs.Find("input[data-testid=provider-url]").Input("https://llm.example.com/v1");
        var key = Dialogs.Find("input[data-testid=provider-key]");
        Assert.Equal("password", key.GetAttribute("type"));
        key.Change(secret);
        Dialogs.Find("[data-testid=save-provider]").Click();

        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll("[data-testid=provider-editor]")));
        page.WaitForAssertion(() => Assert.Contains("ui-new", RowNames(page)));
        Assert.Equal("…Zq81", Row(page, "ui-new").QuerySelector("[data-testid=provider-key-hint]")!.TextContent);
        Assert.DoesNotContain(secret, page.Markup, StringComparison.Ordinal);
        Assert.Contains(Snackbar.Shown(), s => s is { Severity: Severity.Success, Text: "Provider ui-new added." });

        await using var db = App.App.OpenDb();
        var saved = await db.Providers.SingleAsync(p => p.Name == "ui-new");
        Assert.Equal("https://llm.example.com/v1", saved.BaseUrl);
        Assert.NotEqual(secret, saved.EncryptedApiKey);
        Assert.Equal(secret, App.App.Services.GetRequiredService<ProviderSecrets>().Unprotect(saved.EncryptedApiKey));
    }

    [Fact]
    public async Task Editing_leaves_the_key_box_blank_and_a_blank_key_keeps_the_stored_one()
    {
        var provider = await AddProviderAsync("ui-edit", "http://127.0.0.1:9", "sk-ui-stored-key-Kk42");
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ProvidersPage>();

        page.WaitForAssertion(() => Assert.Contains("ui-edit", RowNames(page)));
        Row(page, "ui-edit").QuerySelector("[data-testid=edit-provider]")!.Click();
        var key = Dialogs.WaitForElement("input[data-testid=provider-key]");
        Assert.Equal("", key.GetAttribute("value") ?? "");
        Assert.Equal("leave blank to keep it", key.GetAttribute("placeholder"));
        Assert.Contains("A blank key keeps the stored one (…Kk42)", Dialogs.Find("[data-testid=provider-key-help]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-ui-stored-key-Kk42", Dialogs.Markup, StringComparison.Ordinal);
        Assert.Equal("ui-edit", Dialogs.Find("input[data-testid=provider-name]").GetAttribute("value"));
        // Another port is another server: the stored key would go to it, so it must be typed again.
        Dialogs.Find("input[data-testid=provider-url]").Input("http://127.0.0.1:10/v1");
        Dialogs.Find("[data-testid=save-provider]").Click();
        Dialogs.WaitForAssertion(() => Assert.Contains(Snackbar.Shown(), s => s.Severity == Severity.Error && s.Text.Contains("re-enter the API key", StringComparison.Ordinal)));
        Assert.NotEmpty(Dialogs.FindAll("[data-testid=provider-editor]"));

        // The same server under another path keeps it.
        Dialogs.Find("input[data-testid=provider-url]").Input("http://127.0.0.1:9/v1");
        Dialogs.Find("[data-testid=save-provider]").Click();

        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll("[data-testid=provider-editor]")));
        Assert.Contains(Snackbar.Shown(), s => s is { Severity: Severity.Success, Text: "Provider ui-edit saved." });
        await using var db = App.App.OpenDb();
        var saved = await db.Providers.SingleAsync(p => p.Id == provider.Id);
        Assert.Equal("http://127.0.0.1:9/v1", saved.BaseUrl);
        Assert.Equal(provider.EncryptedApiKey, saved.EncryptedApiKey);
        Assert.Equal("…Kk42", saved.ApiKeyHint);
    }

    [Fact]
    public async Task A_name_the_service_refuses_keeps_the_dialog_open_with_the_reason_and_a_snackbar()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ProvidersPage>();

        page.WaitForElement("[data-testid=new-provider]").Click();
        Dialogs.WaitForElement("input[data-testid=provider-name]").Input("openai");
        Dialogs.Find("input[data-testid=provider-url]").Input("https://second.example.com/v1");
        Dialogs.Find("[data-testid=save-provider]").Click();

        Dialogs.WaitForAssertion(() => Assert.Equal("A provider named 'openai' already exists.", Dialogs.Find("[data-testid=form-error]").TextContent.Trim()));
        Assert.Contains(Snackbar.Shown(), s => s is { Severity: Severity.Error, Text: "The provider was not saved: A provider named 'openai' already exists." });
        await using var db = App.App.OpenDb();
        Assert.False(await db.Providers.AnyAsync(p => p.BaseUrl == "https://second.example.com/v1"));
    }

    [Fact]
    public async Task Cancel_closes_the_editor_without_saving()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ProvidersPage>();

        page.WaitForElement("[data-testid=new-provider]").Click();
        Dialogs.WaitForElement("input[data-testid=provider-name]").Input("ui-cancelled");
        Dialogs.Find("input[data-testid=provider-url]").Input("https://cancelled.example.com");
        Dialogs.Find("[data-testid=cancel-provider]").Click();

        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll("[data-testid=provider-editor]")));
        await using var db = App.App.OpenDb();
        Assert.False(await db.Providers.AnyAsync(p => p.Name == "ui-cancelled"));
    }

    [Fact]
    public async Task A_provider_from_configuration_cannot_be_edited_here_but_says_where_it_is_changed()
    {
        await using (var db = App.App.OpenDb())
        {
            var provider = NewProvider("ui-configured", "https://configured.example.com");
            provider.ManagedByConfiguration = true;
            db.Providers.Add(provider);
            await db.SaveChangesAsync();
        }
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ProvidersPage>();

        page.WaitForAssertion(() => Assert.Contains("ui-configured", RowNames(page)));
        var row = Row(page, "ui-configured");
        Assert.NotNull(row.QuerySelector("[data-testid=provider-configured]"));
        Assert.True(row.QuerySelector("[data-testid=edit-provider]")!.HasAttribute("disabled"));
        Assert.Contains("Providers from configuration are edited in configuration", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disabling_asks_first_and_cancel_changes_nothing()
    {
        var provider = await AddProviderAsync("ui-keep-on", "https://keep.example.com");
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ProvidersPage>();

        page.WaitForAssertion(() => Assert.Contains("ui-keep-on", RowNames(page)));
        Row(page, "ui-keep-on").QuerySelector("[data-testid=toggle-provider]")!.Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("Disable ui-keep-on? The gateway stops routing calls to it", Dialogs.Markup, StringComparison.Ordinal));
        DialogButton("Cancel").Click();

        Dialogs.WaitForAssertion(() => Assert.DoesNotContain("Disable ui-keep-on?", Dialogs.Markup, StringComparison.Ordinal));
        await using var db = App.App.OpenDb();
        Assert.True((await db.Providers.SingleAsync(p => p.Id == provider.Id)).Enabled);
        Assert.Equal("enabled", Row(page, "ui-keep-on").QuerySelector("[data-testid=provider-status]")!.TextContent.Trim());
    }

    [Fact]
    public async Task Disabling_once_confirmed_stops_the_provider_and_says_so_and_enabling_brings_it_back()
    {
        var provider = await AddProviderAsync("ui-switch", "https://switch.example.com");
        await SignInAsAsync("olivia.owner@acme.test");
        var page = Render<ProvidersPage>();

        page.WaitForAssertion(() => Assert.Contains("ui-switch", RowNames(page)));
        Row(page, "ui-switch").QuerySelector("[data-testid=toggle-provider]")!.Click();
        Dialogs.WaitForAssertion(() => DialogButton("Disable").Click());

        page.WaitForAssertion(() => Assert.Equal("disabled", Row(page, "ui-switch").QuerySelector("[data-testid=provider-status]")!.TextContent.Trim()));
        Assert.Contains(Snackbar.Shown(), s => s is { Severity: Severity.Success, Text: "Provider ui-switch disabled." });
        await using (var db = App.App.OpenDb())
            Assert.False((await db.Providers.SingleAsync(p => p.Id == provider.Id)).Enabled);

        Row(page, "ui-switch").QuerySelector("[data-testid=toggle-provider]")!.Click();
        Dialogs.WaitForAssertion(() => DialogButton("Enable").Click());
        page.WaitForAssertion(() => Assert.Equal("enabled", Row(page, "ui-switch").QuerySelector("[data-testid=provider-status]")!.TextContent.Trim()));
        Assert.Contains(Snackbar.Shown(), s => s is { Severity: Severity.Success, Text: "Provider ui-switch enabled." });
    }

    [Fact]
    public async Task Testing_a_provider_at_the_fake_upstream_shows_it_reachable_with_its_models()
    {
        await using var upstream = await FakeUpstream.FakeUpstream.StartAsync();
        upstream.Models = ["ui-model-a", "ui-model-b"];
        await AddProviderAsync("ui-fake", $"{upstream.BaseUrl}/v1", FakeUpstream.FakeUpstream.ApiKey);
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ProvidersPage>();

        page.WaitForAssertion(() => Assert.Contains("ui-fake", RowNames(page)));
        Row(page, "ui-fake").QuerySelector("[data-testid=test-connection]")!.Click();

        var result = Dialogs.WaitForElement("[data-testid=connection-result]", TimeSpan.FromSeconds(30));
        Assert.Equal("reachable", Dialogs.Find("[data-testid=connection-reachable]").TextContent.Trim());
        Assert.Equal("HTTP 200", Dialogs.Find("[data-testid=connection-status]").TextContent.Trim());
        Assert.Contains("2 model(s) listed", Dialogs.Find("[data-testid=connection-message]").TextContent, StringComparison.Ordinal);
        Assert.Contains("ui-model-a", Dialogs.Find("[data-testid=connection-models]").TextContent, StringComparison.Ordinal);
        Assert.Contains("2 model(s) ui-fake lists", result.TextContent, StringComparison.Ordinal);
        Assert.Contains(Snackbar.Shown(), s => s.Severity == Severity.Success && s.Text.StartsWith("ui-fake answered", StringComparison.Ordinal));
        Assert.Contains(upstream.Requests, r => r.PathAndQuery.EndsWith("/models", StringComparison.Ordinal));

        Dialogs.Find("[data-testid=connection-close]").Click();
        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll("[data-testid=connection-result]")));
    }

    [Fact]
    public async Task Testing_a_closed_local_port_shows_a_clear_failure_and_what_to_check()
    {
        await AddProviderAsync("ui-closed", $"http://127.0.0.1:{ClosedPort()}/v1");
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ProvidersPage>();

        page.WaitForAssertion(() => Assert.Contains("ui-closed", RowNames(page)));
        Row(page, "ui-closed").QuerySelector("[data-testid=test-connection]")!.Click();

        Dialogs.WaitForElement("[data-testid=connection-result]", TimeSpan.FromSeconds(30));
        Assert.Equal("not reachable", Dialogs.Find("[data-testid=connection-reachable]").TextContent.Trim());
        Assert.Equal("no HTTP answer", Dialogs.Find("[data-testid=connection-status]").TextContent.Trim());
        Assert.StartsWith("Could not connect", Dialogs.Find("[data-testid=connection-message]").TextContent.Trim(), StringComparison.Ordinal);
        Assert.Empty(Dialogs.FindAll("[data-testid=connection-models]"));
        Assert.Contains(Snackbar.Shown(), s => s.Severity == Severity.Error && s.Text.Contains("Check its base URL, key and network.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_test_button_shows_progress_and_holds_the_other_tests_until_the_provider_answers()
    {
        // An upstream that accepts the connection and answers only when the test says so: no timing involved.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await AddProviderAsync("ui-held", $"http://127.0.0.1:{port}/v1");
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ProvidersPage>();

        page.WaitForAssertion(() => Assert.Contains("ui-held", RowNames(page)));
        Row(page, "ui-held").QuerySelector("[data-testid=test-connection]")!.Click();
        using var connection = await listener.AcceptTcpClientAsync();

        page.WaitForAssertion(() => Assert.NotNull(Row(page, "ui-held").QuerySelector("[data-testid=test-connection-progress]")));
        Assert.Contains("Testing…", Row(page, "ui-held").QuerySelector("[data-testid=test-connection]")!.TextContent, StringComparison.Ordinal);
        Assert.All(page.FindAll("[data-testid=test-connection]"), b => Assert.True(b.HasAttribute("disabled")));

        await AnswerAsync(connection, """{"data":[{"id":"held-model"}]}""");
        Dialogs.WaitForElement("[data-testid=connection-result]", TimeSpan.FromSeconds(30));
        Assert.Contains("held-model", Dialogs.Find("[data-testid=connection-models]").TextContent, StringComparison.Ordinal);
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=test-connection-progress]")));
        Assert.All(page.FindAll("[data-testid=test-connection]"), b => Assert.False(b.HasAttribute("disabled")));
    }

    private static async Task AnswerAsync(TcpClient connection, string json)
    {
        var stream = connection.GetStream();
        var request = new byte[8192];
        var read = new StringBuilder();
        while (!read.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            read.Append(Encoding.ASCII.GetString(request, 0, await stream.ReadAsync(request)));
        var body = Encoding.UTF8.GetBytes(json);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
        await stream.WriteAsync(body);
        await stream.FlushAsync();
    }

    /// <summary>A loopback port nothing listens on: bound, read, released.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static Provider NewProvider(string name, string baseUrl) =>
        new() { Id = Guid.NewGuid(), Name = name, Kind = ProviderKinds.OpenAI, BaseUrl = baseUrl, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow };

    private async Task<int> ProviderCountAsync()
    {
        await using var db = App.App.OpenDb();
        return await db.Providers.CountAsync();
    }

    private static List<string> RowNames(IRenderedComponent<ProvidersPage> page) =>
        [.. page.FindAll("[data-testid=provider-row-name]").Select(e => e.TextContent.Trim())];

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<ProvidersPage> page, string name) =>
        page.FindAll("[data-testid=providers-grid] tbody tr").Single(r => r.QuerySelector("[data-testid=provider-row-name]")?.TextContent.Trim() == name);
}
