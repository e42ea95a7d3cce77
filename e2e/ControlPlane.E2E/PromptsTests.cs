using System.ClientModel;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OpenAI;
using OpenAI.Chat;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>
/// The app with one more provider, "e2e-fake", an OpenAI-style upstream on loopback (an HttpListener in this process that
/// answers every chat completion the same way), serving the alias "e2e-model". Started for this class only.
/// </summary>
public sealed class PromptsAppFixture : IAsyncLifetime
{
    public const string Model = "e2e-model";
    public const string Answer = "Hello from the e2e upstream";

    private readonly HttpListener _listener = new();
    private Task? _serving;

    public RunningApp App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        var port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:AllowedProviderAddresses:1"] = $"127.0.0.1:{port}",
            ["Gateway:Providers:e2e-fake:Kind"] = "openai",
            ["Gateway:Providers:e2e-fake:BaseUrl"] = $"http://127.0.0.1:{port}/v1",
            ["Gateway:Providers:e2e-fake:ApiKey"] = "sk-e2e-fake-0123456789",
            [$"Gateway:Providers:e2e-fake:Models:{Model}"] = "upstream-model",
            ["Gateway:Providers:e2e-fake:Prices:upstream-model:Input"] = "1",
            ["Gateway:Providers:e2e-fake:Prices:upstream-model:CachedInput"] = "1",
            ["Gateway:Providers:e2e-fake:Prices:upstream-model:Output"] = "2",
        };
        App = new RunningApp { SettingsFor = _ => Task.FromResult<IReadOnlyDictionary<string, string?>>(settings) };
        await App.InitializeAsync();
    }

    /// <summary>Every request gets one chat completion with usage; nothing else is asked of it here.</summary>
    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            var body = Encoding.UTF8.GetBytes($$$"""
                {"id":"chatcmpl-e2e","object":"chat.completion","created":1700000000,"model":"upstream-model",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"{{{Answer}}}"},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":40,"completion_tokens":8,"total_tokens":48}}
                """);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        _listener.Stop();
        _listener.Close();
        if (_serving is not null) await _serving;
    }
}

/// <summary>
/// The prompt registry in Chromium, as issue 16 tells it: a team lead creates a prompt and a second version, views the
/// diff and asks for production; an Admin approves; a call through the gateway with the OpenAI SDK names the prompt,
/// and the call's details on the Requests page say which version served it.
/// </summary>
public sealed class PromptsTests(PromptsAppFixture fixture, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<PromptsAppFixture>, IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_lead_versions_a_prompt_an_admin_approves_production_and_a_call_shows_the_version_it_used()
    {
        var app = fixture.App;
        var name = $"e2e-greeting-{Guid.NewGuid():N}"[..22];
        await using var lead = await BrowserSession.StartAsync(browser, app, output, "prompts-lead");
        await using var admin = await BrowserSession.StartAsync(browser, app, output, "prompts-admin");

        // Leo creates the prompt with its first version.
        await lead.SignInAsAsync("Leo Lead", "/prompts");
        await BrowserSession.ClickAsync(lead.Page.GetByTestId("new-prompt"));
        var create = lead.Page.GetByTestId("new-prompt-dialog");
        await BrowserSession.FieldInput(create, "prompt-name").FillAsync(name);
        await Message(create, 0).FillAsync("You greet {{person}} in one short sentence.");
        await Message(create, 1).FillAsync("Greet {{person}}.");
        await BrowserSession.FieldInput(create, "version-model").FillAsync(PromptsAppFixture.Model);
        await BrowserSession.ClickAsync(lead.Page.GetByTestId("save-prompt"));
        await Expect(lead.Page).ToHaveURLAsync(new Regex(@"/prompts/[0-9a-f-]{36}$"));
        await Expect(lead.Page.GetByTestId("prompt-title")).ToHaveTextAsync(name);
        var promptPath = new Uri(lead.Page.Url).AbsolutePath;

        // A second version, copied from the first and changed.
        await BrowserSession.ClickAsync(lead.Page.GetByTestId("new-version"));
        var version = lead.Page.GetByTestId("new-version-dialog");
        await Message(version, 0).FillAsync("You greet {{person}} warmly, in one short sentence.");
        await BrowserSession.FieldInput(version, "version-note").FillAsync("Warmer");
        await BrowserSession.ClickAsync(lead.Page.GetByTestId("save-version"));
        await Expect(BrowserSession.Snackbar(lead.Page, "Added v2.")).ToBeVisibleAsync();
        await Expect(lead.Page.GetByTestId("version-item")).ToHaveCountAsync(2);

        // The diff: v1 against v2, inline and side by side.
        await BrowserSession.ClickAsync(lead.Page.GetByRole(AriaRole.Tab, new() { Name = "Diff" }));
        var inline = lead.Page.GetByTestId("diff-inline").First;
        await Expect(inline).ToContainTextAsync("warmly");
        await Expect(inline.Locator("[data-change='inserted']").First).ToContainTextAsync("warmly");
        await Expect(inline.Locator("[data-change='deleted']").First).ToContainTextAsync("You greet {{person}} in one short sentence.");
        await BrowserSession.ClickAsync(lead.Page.GetByText("Side by side", new() { Exact = true }));
        await Expect(lead.Page.GetByTestId("diff-side-by-side").First).ToBeVisibleAsync();
        await lead.ScreenshotAsync("prompt-diff");

        // Leo asks for production at v2; he wrote v2, so someone else approves it.
        await BrowserSession.ClickAsync(lead.Page.GetByTestId("move-label"));
        var move = lead.Page.GetByTestId("move-label-dialog");
        await lead.ChooseInMudAutocompleteAsync(BrowserSession.FieldInput(move, "move-label-name"), "production", "production");
        await Expect(move.GetByTestId("move-needs-approval")).ToBeVisibleAsync();
        await BrowserSession.ClickAsync(lead.Page.GetByTestId("confirm-move"));
        await Expect(BrowserSession.Snackbar(lead.Page, "waits for an approval")).ToBeVisibleAsync();

        // Adam, an Admin, approves it from the Labels tab.
        await admin.SignInAsAsync("Adam Admin", promptPath + "?tab=labels");
        var pending = admin.Page.GetByTestId("move-pending");
        await Expect(pending).ToContainTextAsync("production");
        await BrowserSession.ClickAsync(pending.GetByTestId("approve-move"));
        await BrowserSession.ClickAsync(admin.Page.GetByTestId("confirm-decision"));
        await Expect(BrowserSession.Snackbar(admin.Page, "now points at v2")).ToBeVisibleAsync();
        await Expect(admin.Page.GetByTestId("label-production")).ToContainTextAsync("v2");

        // A key of Leo's team, and a call that names the prompt through the OpenAI SDK.
        await lead.GoToAsync("/keys");
        var key = await NewKeyAsync(lead);
        var chat = new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(app.BaseUrl, "v1") }).GetChatClient(PromptsAppFixture.Model);
#pragma warning disable SCME0001 // the SDK's way to send a field it does not model: the prompt reference
        var options = new ChatCompletionOptions();
        options.Patch.Set("$.prompt"u8, BinaryData.FromString($$$"""{"name":"{{{name}}}","label":"production","variables":{"person":"Ann"}}"""));
#pragma warning restore SCME0001
        ClientResult<ChatCompletion> answer = await chat.CompleteChatAsync([new UserChatMessage("(from the e2e test)")], options);
        Assert.Equal(PromptsAppFixture.Answer, answer.Value.Content.Single().Text);

        // The Requests page: the call's details name the prompt version and label.
        await lead.GoToAsync($"/calls?model={PromptsAppFixture.Model}");
        var rows = lead.Page.GetByTestId("calls-grid").Locator("tbody tr").Filter(new() { Has = lead.Page.GetByTestId("call-at") });
        await Expect(rows.First).ToBeVisibleAsync();
        await BrowserSession.ClickAsync(rows.First);
        await Expect(lead.Page.GetByTestId("call-prompt")).ToHaveTextAsync($"{name} v2 (production)");
        await lead.ScreenshotAsync("prompt-call-details");

        // The playground: v2 rendered with a sample value, the worst case shown first, then run with the same key.
        await lead.GoToAsync(promptPath + "?tab=playground");
        var person = lead.Page.Locator("textarea[data-testid='playground-var-person'], [data-testid='playground-var-person'] textarea").First;
        await BrowserSession.WiredAsync(person);
        await person.FillAsync("Bea");
        await BrowserSession.FieldInput(lead.Page.Locator("body"), "playground-key").FillAsync(key);
        await BrowserSession.ClickAsync(lead.Page.GetByTestId("playground-estimate"));
        await Expect(lead.Page.GetByTestId("playground-rendered").First).ToContainTextAsync("You greet Bea warmly");
        await Expect(lead.Page.GetByTestId("playground-worst-case")).ToContainTextAsync("$");
        await BrowserSession.ClickAsync(lead.Page.GetByTestId("playground-send"));
        await Expect(lead.Page.GetByTestId("playground-answer")).ToHaveTextAsync(PromptsAppFixture.Answer);
        await Expect(lead.Page.GetByTestId("playground-cost")).ToContainTextAsync("charged $");
        lead.AssertNoBrowserErrors();
        admin.AssertNoBrowserErrors();
    }

    private static ILocator Message(ILocator dialog, int index) =>
        dialog.Locator($"textarea[data-testid='message-content-{index}'], [data-testid='message-content-{index}'] textarea").First;

    private static async Task<string> NewKeyAsync(BrowserSession s)
    {
        var page = s.Page;
        await BrowserSession.ClickAsync(page.GetByTestId("new-key-button"));
        var form = page.GetByRole(AriaRole.Dialog).Filter(new() { Has = page.GetByTestId("create-key") });
        // Platform, not Search: the demo leaves Search almost no budget this period.
        var team = BrowserSession.FieldInput(form, "key-team");
        await BrowserSession.WiredAsync(team);
        await team.FillAsync("Platform");
        await BrowserSession.ClickAsync(page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex(@"^\s*Engineering / Platform\s*$") }));
        await Expect(team).ToHaveValueAsync("Engineering / Platform");
        await BrowserSession.FieldInput(form, "key-name").FillAsync($"prompts-{Guid.NewGuid():N}"[..20]);
        await BrowserSession.ClickAsync(page.GetByTestId("create-key"));
        var secretBox = page.GetByTestId("new-key-secret");
        await Expect(secretBox).ToHaveTextAsync(new Regex("^cp-live-[A-Za-z0-9]{40}$"));
        var secret = (await secretBox.InnerTextAsync()).Trim();
        await BrowserSession.ClickAsync(page.GetByTestId("key-done"));
        return secret;
    }
}
