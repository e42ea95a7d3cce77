using Bunit;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Tests.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Gateway.Pages;

/// <summary>The Models page on MudBlazor: aliases with their failover chains, edited in a dialog by Owners and Admins.</summary>
public sealed class ModelsPageTests(DashboardApp app) : GatewayPageContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task Everyone_reads_the_aliases_with_their_failover_chain_and_capabilities()
    {
        await SignInAsAsync("mia.member@acme.test");

        var page = Render<ModelsPage>();

        page.WaitForAssertion(() => Assert.Contains("gpt-4o-mini", Aliases(page)));
        Assert.Equal("openai/gpt-4o-mini → azure-eu/gpt-4o-mini", Row(page, "gpt-4o-mini").QuerySelector("[data-testid=model-route]")!.TextContent.Trim());
        Assert.NotNull(Row(page, "gpt-4o").QuerySelector("[aria-label='takes images']"));
        Assert.NotNull(Row(page, "gpt-4o-mini").QuerySelector("[aria-label='takes tools']"));
        Assert.Contains("128,000", Row(page, "gpt-4o-mini").TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mia.member@acme.test")]
    [InlineData("leo.lead@acme.test")]
    [InlineData("fiona.finance@acme.test")]
    [InlineData("aria.auditor@acme.test")]
    public async Task Who_is_not_an_owner_or_admin_sees_no_button_that_changes_the_catalogue(string email)
    {
        await SignInAsAsync(email);

        var page = Render<ModelsPage>();

        page.WaitForAssertion(() => Assert.Contains("gpt-4o-mini", Aliases(page)));
        Assert.Empty(page.FindAll("[data-testid=new-model]"));
        Assert.Empty(page.FindAll("[data-testid=edit-model]"));
    }

    [Theory]
    [InlineData("adam.admin@acme.test")]
    [InlineData("olivia.owner@acme.test")]
    public async Task Owners_and_admins_may_add_and_edit(string email)
    {
        await SignInAsAsync(email);

        var page = Render<ModelsPage>();

        page.WaitForAssertion(() => Assert.Contains("gpt-4o-mini", Aliases(page)));
        Assert.Single(page.FindAll("[data-testid=new-model]"));
        Assert.Equal(Aliases(page).Count, page.FindAll("[data-testid=edit-model]").Count);
    }

    [Fact]
    public async Task An_admin_adds_an_alias_with_a_fallback_target_and_it_is_saved_in_that_order()
    {
        var primary = await AddProviderAsync("ui-models-primary", "https://primary.example.com/v1");
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ModelsPage>();
        var openai = await ProviderIdAsync("openai");

        page.WaitForElement("[data-testid=new-model]").Click();
        Dialogs.WaitForElement("input[data-testid=model-alias]").Input("ui-chain");
        await TargetSelects()[0].ChooseAsync(primary.Id);
        Dialogs.FindAll("input[data-testid=target-model]")[0].Input("primary-model");
        Dialogs.Find("[data-testid=target-add]").Click();
        Dialogs.WaitForAssertion(() => Assert.Equal(2, Dialogs.FindAll("[data-testid=target-row]").Count));
        await TargetSelects()[1].ChooseAsync(openai);
        Dialogs.FindAll("input[data-testid=target-model]")[1].Input("gpt-4o-mini");
        Dialogs.Find("[data-testid=save-model]").Click();

        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll("[data-testid=model-editor]")));
        page.WaitForAssertion(() => Assert.Contains("ui-chain", Aliases(page)));
        Assert.Equal("ui-models-primary/primary-model → openai/gpt-4o-mini", Row(page, "ui-chain").QuerySelector("[data-testid=model-route]")!.TextContent.Trim());
        Assert.Contains(Snackbar.Shown(), s => s is { Severity: Severity.Success, Text: "Model ui-chain added." });
        await using var db = App.App.OpenDb();
        var model = await db.CatalogModels.SingleAsync(m => m.Alias == "ui-chain");
        var targets = await db.ModelTargets.Where(t => t.ModelId == model.Id).OrderBy(t => t.Priority).ToListAsync();
        Assert.Equal([(primary.Id, "primary-model"), (openai, "gpt-4o-mini")], targets.Select(t => (t.ProviderId, t.UpstreamModel)));
    }

    [Fact]
    public async Task Editing_an_alias_reorders_its_targets_and_changes_its_capabilities()
    {
        var second = await AddProviderAsync("ui-models-second", "https://second.example.com/v1");
        var modelId = await AddModelAsync("ui-reorder", (await ProviderIdAsync("openai"), "first-model"), (second.Id, "second-model"));
        await SignInAsAsync("olivia.owner@acme.test");
        var page = Render<ModelsPage>();

        page.WaitForAssertion(() => Assert.Contains("ui-reorder", Aliases(page)));
        Row(page, "ui-reorder").QuerySelector("[data-testid=edit-model]")!.Click();
        Dialogs.WaitForElement("[data-testid=model-editor]");
        Assert.Equal("ui-reorder", Dialogs.Find("input[data-testid=model-alias]").GetAttribute("value"));
        Assert.True(Dialogs.FindAll("[data-testid=target-up]")[0].HasAttribute("disabled"));
        Dialogs.FindAll("[data-testid=target-up]")[1].Click();
        Dialogs.WaitForAssertion(() => Assert.Equal("second-model", Dialogs.FindAll("input[data-testid=target-model]")[0].GetAttribute("value")));
        Dialogs.Find("input[data-testid=model-vision]").Change(true);
        Dialogs.Find("[data-testid=save-model]").Click();

        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll("[data-testid=model-editor]")));
        page.WaitForAssertion(() => Assert.Equal("ui-models-second/second-model → openai/first-model",
            Row(page, "ui-reorder").QuerySelector("[data-testid=model-route]")!.TextContent.Trim()));
        Assert.Contains(Snackbar.Shown(), s => s is { Severity: Severity.Success, Text: "Model ui-reorder saved." });
        await using var db = App.App.OpenDb();
        Assert.True((await db.CatalogModels.SingleAsync(m => m.Id == modelId)).SupportsVision);
        Assert.Equal(["second-model", "first-model"], await db.ModelTargets.Where(t => t.ModelId == modelId).OrderBy(t => t.Priority).Select(t => t.UpstreamModel).ToListAsync());
    }

    [Fact]
    public async Task The_editor_shows_what_is_missing_beside_each_field_and_saves_nothing_until_it_is_there()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ModelsPage>();

        page.WaitForElement("[data-testid=new-model]").Click();
        Dialogs.WaitForElement("input[data-testid=model-alias]").Input("ui has spaces");
        Dialogs.Find("[data-testid=save-model]").Click();

        Dialogs.WaitForAssertion(() => Assert.Equal("An alias has 1 to 100 characters and no spaces.", Dialogs.Find("input[data-testid=model-alias]").FieldError()));
        Assert.Equal("Choose the provider that serves this target.", Dialogs.Find("[data-testid=target-provider] input, input[data-testid=target-provider]").FieldError());
        Assert.Equal("Name the provider's model (for Azure OpenAI, its deployment).", Dialogs.Find("input[data-testid=target-model]").FieldError());
        Assert.Contains(Snackbar.Shown(), s => s.Severity == Severity.Warning && s.Text.Contains("need attention", StringComparison.Ordinal));

        // A second row left wholly blank is ignored, as the service ignores it; the first one still needs filling.
        Dialogs.Find("input[data-testid=model-alias]").Input("ui-blank-fallback");
        Dialogs.Find("[data-testid=target-add]").Click();
        Dialogs.FindAll("input[data-testid=target-model]")[0].Input("some-model");
        Dialogs.Find("[data-testid=save-model]").Click();
        Dialogs.WaitForAssertion(() => Assert.Equal("Choose the provider that serves this target.",
            Dialogs.FindAll("[data-testid=target-provider] input, input[data-testid=target-provider]")[0].FieldError()));
        Assert.Null(Dialogs.FindAll("input[data-testid=target-model]")[1].FieldError());
        Assert.Null(Dialogs.Find("input[data-testid=model-alias]").FieldError());

        await using var db = App.App.OpenDb();
        Assert.False(await db.CatalogModels.AnyAsync(m => m.Alias.StartsWith("ui-blank") || m.Alias == "ui has spaces"));
    }

    [Fact]
    public async Task An_alias_the_service_refuses_keeps_the_dialog_open_with_the_reason_and_a_snackbar()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ModelsPage>();
        var openai = await ProviderIdAsync("openai");

        page.WaitForElement("[data-testid=new-model]").Click();
        Dialogs.WaitForElement("input[data-testid=model-alias]").Input("gpt-4o-mini");
        await TargetSelects()[0].ChooseAsync(openai);
        Dialogs.Find("input[data-testid=target-model]").Input("another-model");
        Dialogs.Find("[data-testid=save-model]").Click();

        Dialogs.WaitForAssertion(() => Assert.Equal("The alias 'gpt-4o-mini' is taken.", Dialogs.Find("[data-testid=form-error]").TextContent.Trim()));
        Assert.Contains(Snackbar.Shown(), s => s is { Severity: Severity.Error, Text: "The model was not saved: The alias 'gpt-4o-mini' is taken." });
        await using var db = App.App.OpenDb();
        Assert.False(await db.ModelTargets.AnyAsync(t => t.UpstreamModel == "another-model"));
    }

    [Fact]
    public async Task Cancel_closes_the_editor_and_keeps_the_alias_as_it_was()
    {
        var modelId = await AddModelAsync("ui-untouched", (await ProviderIdAsync("openai"), "kept-model"));
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ModelsPage>();

        page.WaitForAssertion(() => Assert.Contains("ui-untouched", Aliases(page)));
        Row(page, "ui-untouched").QuerySelector("[data-testid=edit-model]")!.Click();
        Dialogs.WaitForElement("input[data-testid=target-model]").Input("changed-model");
        Dialogs.Find("[data-testid=cancel-model]").Click();

        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll("[data-testid=model-editor]")));
        Assert.Equal("openai/kept-model", Row(page, "ui-untouched").QuerySelector("[data-testid=model-route]")!.TextContent.Trim());
        await using var db = App.App.OpenDb();
        Assert.Equal("kept-model", (await db.ModelTargets.SingleAsync(t => t.ModelId == modelId)).UpstreamModel);
    }

    [Fact]
    public async Task A_target_can_be_removed_but_never_the_last_one()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ModelsPage>();

        page.WaitForElement("[data-testid=new-model]").Click();
        Dialogs.WaitForElement("[data-testid=target-remove]");
        Assert.True(Dialogs.Find("[data-testid=target-remove]").HasAttribute("disabled"));
        Dialogs.Find("[data-testid=target-add]").Click();
        Dialogs.WaitForAssertion(() => Assert.Equal(2, Dialogs.FindAll("[data-testid=target-row]").Count));
        Dialogs.FindAll("[data-testid=target-remove]")[1].Click();

        Dialogs.WaitForAssertion(() => Assert.Single(Dialogs.FindAll("[data-testid=target-row]")));
    }

    private List<IRenderedComponent<MudSelect<Guid?>>> TargetSelects() => [.. Dialogs.FindComponents<MudSelect<Guid?>>()];

    private async Task<Guid> ProviderIdAsync(string name)
    {
        await using var db = App.App.OpenDb();
        return await db.Providers.Where(p => p.Name == name).Select(p => p.Id).SingleAsync();
    }

    private Task<Guid> AddModelAsync(string alias, params (Guid Provider, string Model)[] targets) =>
        App.App.WithScopeAsync(async services =>
        {
            var form = new ModelForm { Alias = alias, Targets = [.. targets.Select(t => new TargetForm { ProviderId = t.Provider, UpstreamModel = t.Model })] };
            var saved = await services.GetRequiredService<CatalogueService>().SaveAsync(TestAdmin, null, form);
            Assert.True(saved.Succeeded, saved.Error);
            return saved.Value!.Id;
        });

    private static List<string> Aliases(IRenderedComponent<ModelsPage> page) =>
        [.. page.FindAll("[data-testid=model-row-alias]").Select(e => e.TextContent.Trim())];

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<ModelsPage> page, string alias) =>
        page.FindAll("[data-testid=models-grid] tbody tr").Single(r => r.QuerySelector("[data-testid=model-row-alias]")?.TextContent.Trim() == alias);
}
