using Bunit;
using ControlPlane.Components;
using ControlPlane.Components.Layout;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Components;

/// <summary>
/// The shell in bUnit over the real app: the nav drawn from NavTree for each role, breadcrumbs, and the per-person
/// theme.
/// </summary>
public sealed class ShellComponentTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    /// <summary>A demo person of each role, as DemoData seeds them.</summary>
    public static TheoryData<string, string> PersonOfEachRole => new()
    {
        { Roles.Owner, "olivia.owner@acme.test" },
        { Roles.Admin, "adam.admin@acme.test" },
        { Roles.FinanceAdmin, "fiona.finance@acme.test" },
        { Roles.TeamLead, "leo.lead@acme.test" },
        { Roles.Member, "mia.member@acme.test" },
        { Roles.Auditor, "aria.auditor@acme.test" },
    };

    [Theory]
    [MemberData(nameof(PersonOfEachRole))]
    public async Task The_nav_links_every_page_whose_policy_admits_the_role_and_no_other(string role, string email)
    {
        await SignInAsAsync(email);

        var nav = Render<NavMenu>();

        var shown = nav.FindAll("a.mud-nav-link").Select(a => a.GetAttribute("href") ?? "").Order(StringComparer.Ordinal).ToList();
        // What each page itself admits, read from its [Authorize] attribute, not from the nav.
        var admitted = RoutedPages().Where(p => Policies.Grants[p.Policy].Contains(role)).Select(p => p.Route).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(admitted, shown);
    }

    [Theory]
    [InlineData("olivia.owner@acme.test", true, true, true, true)]
    [InlineData("aria.auditor@acme.test", true, true, true, true)]
    [InlineData("fiona.finance@acme.test", false, true, false, false)]
    [InlineData("leo.lead@acme.test", false, false, false, true)]
    [InlineData("mia.member@acme.test", false, false, false, false)]
    public async Task The_nav_groups_the_gateway_pages_in_order_and_hides_the_ones_the_role_may_not_open(
        string email, bool providers, bool prices, bool audit, bool experiments)
    {
        await SignInAsAsync(email);

        var nav = Render<NavMenu>();

        var group = nav.Find(".mud-nav-group");
        Assert.StartsWith("Gateway", group.TextContent.Trim(), StringComparison.Ordinal);
        var inGroup = group.QuerySelectorAll("a.mud-nav-link").Select(a => a.GetAttribute("href")).ToList();
        // Routing admits exactly the roles Providers does (Owner, Admin, Auditor).
        string[] expected = ["/calls", "/stats", "/models", .. providers ? ["/routing", "/providers"] : Array.Empty<string>(), .. prices ? ["/prices"] : Array.Empty<string>(),
            .. experiments ? ["/experiments"] : Array.Empty<string>()];
        Assert.Equal(expected, inGroup);
        Assert.Equal(audit, nav.FindAll("a[href='/audit']").Count == 1);
        // Wallets comes before the group, for every role.
        var links = nav.FindAll("a.mud-nav-link").Select(a => a.GetAttribute("href")).ToList();
        Assert.True(links.IndexOf("/wallets") < links.IndexOf("/calls"));
    }

    [Fact]
    public void The_nav_lists_nothing_to_someone_not_signed_in()
    {
        var nav = Render<NavMenu>();

        Assert.Empty(nav.FindAll("a"));
        Assert.DoesNotContain("Gateway", nav.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_in_the_gateway_group_has_the_group_and_the_page_as_breadcrumbs()
    {
        await SignInAsAsync("adam.admin@acme.test");
        Services.GetRequiredService<NavigationManager>().NavigateTo("/providers");

        var crumbs = Render<PageBreadcrumbs>();

        var items = crumbs.FindAll("li.mud-breadcrumb-item");
        Assert.Equal(["Gateway", "Providers"], items.Select(i => i.TextContent.Trim()));
        // Neither leads anywhere: the group has no page of its own and the person is already on Providers.
        Assert.All(items, i => Assert.Contains("mud-disabled", i.ClassList));

        // The crumbs follow navigation without a new render of the page.
        Services.GetRequiredService<NavigationManager>().NavigateTo("/keys");
        crumbs.WaitForAssertion(() => Assert.Equal(["Keys"], crumbs.FindAll("li.mud-breadcrumb-item").Select(i => i.TextContent.Trim())));
    }

    [Theory]
    [InlineData("/", new[] { "Overview" })]
    [InlineData("/providers", new[] { "Gateway", "Providers" })]
    [InlineData("providers/openai?tab=models", new[] { "Gateway", "Providers" })]
    [InlineData("/prices#top", new[] { "Gateway", "Prices" })]
    [InlineData("/teams/0c1d", new[] { "Teams" })]
    [InlineData("/settings/api-tokens", new[] { "API tokens" })]
    [InlineData("/sign-in", new string[0])]
    [InlineData("/keysmith", new string[0])]
    public void The_breadcrumb_trail_comes_from_the_nav_structure(string path, string[] trail) =>
        Assert.Equal(trail, NavTree.TrailTo(path).Select(a => a.Text));

    [Fact]
    public async Task The_theme_toggle_remembers_the_choice_on_the_persons_row()
    {
        var person = await SignInAsAsync("sam.sales@acme.test");
        var layout = RenderLayout(prefersDark: false);
        Assert.False(await PrefersDarkAsync(person.Id));
        Assert.DoesNotContain(DarkBackground, layout.Markup, StringComparison.OrdinalIgnoreCase);

        layout.Find("[data-testid=theme-toggle]").Click();

        layout.WaitForAssertion(() => Assert.Contains(DarkBackground, layout.Markup, StringComparison.OrdinalIgnoreCase));
        Assert.True(await PrefersDarkAsync(person.Id));
        // Only this person's row changed.
        Assert.False(await PrefersDarkAsync((await App.PersonAsync("mia.member@acme.test")).Id));

        layout.Find("[data-testid=theme-toggle]").Click();

        layout.WaitForAssertion(() => Assert.DoesNotContain(DarkBackground, layout.Markup, StringComparison.OrdinalIgnoreCase));
        Assert.False(await PrefersDarkAsync(person.Id));
    }

    [Fact]
    public async Task The_layout_renders_the_remembered_dark_theme_from_its_first_render()
    {
        await SignInAsAsync("rita.research@acme.test");

        var layout = RenderLayout(prefersDark: true);

        Assert.Contains(DarkBackground, layout.Markup, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Use the light theme", layout.Find("[data-testid=theme-toggle]").GetAttribute("aria-label"));
    }

    [Fact]
    public async Task The_app_bar_names_the_signed_in_person_and_role_and_signs_out_by_a_protected_post()
    {
        await SignInAsAsync("fiona.finance@acme.test");

        var layout = RenderLayout(prefersDark: false);

        Assert.Contains("Fiona Finance · FinanceAdmin", layout.Find("[data-testid=signed-in-as]").TextContent, StringComparison.Ordinal);
        var form = layout.Find("form[action='/sign-out']");
        Assert.Equal("post", form.GetAttribute("method"));
        Assert.NotNull(form.QuerySelector("button[type=submit]"));
    }

    /// <summary>The dark palette's background, as MudThemeProvider writes it into its CSS variables.</summary>
    private static readonly string DarkBackground = $"--mud-palette-background: {ControlPlaneTheme.Theme.PaletteDark.Background}";

    private IRenderedComponent<MainLayout> RenderLayout(bool prefersDark) =>
        Render<MainLayout>(p => p
            .AddCascadingValue(Shell.PrefersDarkTheme, prefersDark)
            .Add(l => l.Body, (RenderFragment)(b => b.AddMarkupContent(0, "<h1>Page</h1>"))));

    private async Task<bool> PrefersDarkAsync(Guid id)
    {
        await using var db = App.App.OpenDb();
        return await db.Set<User>().Where(u => u.Id == id).Select(u => u.PrefersDarkTheme).SingleAsync();
    }

    /// <summary>Every routed page under Features/ with the policy of its [Authorize] attribute.</summary>
    /// <summary>The Blazor pages by their [Route] and [Authorize], and the one page served outside Blazor: Hangfire's dashboard, mounted with its policy.</summary>
    private static IEnumerable<(string Route, string Policy)> RoutedPages() =>
        (from type in typeof(Program).Assembly.GetTypes()
         where type.Namespace?.StartsWith("ControlPlane.Features", StringComparison.Ordinal) == true
         let route = type.GetCustomAttributes(typeof(RouteAttribute), false).Cast<RouteAttribute>().FirstOrDefault()
         let authorize = type.GetCustomAttributes(typeof(AuthorizeAttribute), false).Cast<AuthorizeAttribute>().FirstOrDefault()
         where route is not null && authorize?.Policy is not null
         select (route.Template, authorize.Policy!))
        .Append((JobsSetup.DashboardPath, Policies.JobsView));
}
