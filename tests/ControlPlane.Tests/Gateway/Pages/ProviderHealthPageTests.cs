using Bunit;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using ControlPlane.Tests.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Gateway.Pages;

/// <summary>The Providers page shows each provider's health: state, since when, the last error, and live changes.</summary>
public sealed class ProviderHealthPageTests(DashboardApp app) : GatewayPageContext(app), IClassFixture<DashboardApp>
{
    private async Task<ProviderHealthChanged> StoreAsync(string provider, string state, string? error)
    {
        await using var db = App.App.OpenDb();
        var id = await db.Providers.Where(p => p.Name == provider).Select(p => p.Id).SingleAsync();
        var now = DateTime.UtcNow;
        await db.ProviderHealth.Where(h => h.ProviderId == id).ExecuteDeleteAsync();
        db.ProviderHealth.Add(new ProviderHealthRecord { ProviderId = id, State = state, Since = now.AddMinutes(-5), CheckedAt = now, LastError = error, ConsecutiveFailures = 3 });
        await db.SaveChangesAsync();
        await App.App.Services.GetRequiredService<ProviderHealthBoard>().LoadAsync(App.App.Services.GetRequiredService<IDbContextFactory<ControlPlaneDb>>(), default);
        return App.App.Services.GetRequiredService<ProviderHealthBoard>().Of(id)!;
    }

    private static AngleSharp.Dom.IElement RowOf(IRenderedComponent<ProvidersPage> page, string name) =>
        page.FindAll("tr").Single(r => r.QuerySelector("[data-testid=provider-row-name]")?.TextContent == name);

    [Fact]
    public async Task A_down_provider_shows_its_state_since_when_and_its_last_error_and_a_change_arrives_live()
    {
        await SignInAsAsync("aria.auditor@acme.test");
        var down = await StoreAsync("groq", ProviderHealthStates.Down, "Could not connect: connection refused (nothing listens at api.groq.com:443).");

        var page = Render<ProvidersPage>();

        page.WaitForAssertion(() => Assert.Equal("down", RowOf(page, "groq").QuerySelector("[data-testid=provider-health]")!.GetAttribute("data-state")));
        var row = RowOf(page, "groq");
        Assert.Contains("connection refused", row.QuerySelector("[data-testid=provider-health-error]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains(down.Since.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), row.QuerySelector("[data-testid=provider-health-since]")!.TextContent, StringComparison.Ordinal);

        var healthy = await StoreAsync("groq", ProviderHealthStates.Healthy, down.LastError);
        App.App.Services.GetRequiredService<EventBus>().Publish(healthy);

        page.WaitForAssertion(() => Assert.Equal("healthy", RowOf(page, "groq").QuerySelector("[data-testid=provider-health]")!.GetAttribute("data-state")));
        Assert.Null(RowOf(page, "groq").QuerySelector("[data-testid=provider-health-error]")); // the old error only in the tooltip
    }
}
