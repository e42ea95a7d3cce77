using Microsoft.Playwright;
using Xunit;

namespace ControlPlane.E2E;

/// <summary>
/// One headless Chromium for the whole collection: the system's /usr/bin/chromium, never a downloaded one
/// (Playwright's browser install is never run). Each test gets its own context (cookies, storage) from it.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: apt-get install -y chromium (see .ci/run).");
        // Expectations wait up to 15 s: CI machines have 2 cores and Blazor Server renders over a WebSocket.
        Assertions.SetDefaultExpectTimeout(15_000);
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.CloseAsync();
        playwright?.Dispose();
    }
}

/// <summary>The app and the browser, started once and shared by every browser test (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class E2EFixtures : ICollectionFixture<RunningApp>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "Running app in Chromium";
}
