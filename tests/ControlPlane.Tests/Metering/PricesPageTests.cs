using AngleSharp.Dom;
using Bunit;
using ControlPlane.Features.Metering;
using ControlPlane.Tests.Components;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace ControlPlane.Tests.Metering;

/// <summary>The Prices page and its NewPriceForm dialog, rendered with bUnit over the demo data.</summary>
public sealed class PricesPageTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    private IRenderedComponent<MudDialogProvider> dialogs = default!;

    /// <summary>The page as this person sees it, with the dialog and popover hosts the layout would give it.</summary>
    private async Task<IRenderedComponent<PricesPage>> OpenAsync(string email)
    {
        await SignInAsAsync(email);
        Render<MudPopoverProvider>();
        dialogs = Render<MudDialogProvider>();
        var page = Render<PricesPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=prices-grid] tbody tr [data-testid=price-status]")));
        return page;
    }

    private IRenderedComponent<NewPriceForm> OpenForm(IRenderedComponent<PricesPage> page)
    {
        page.Find("[data-testid=new-price]").Click();
        dialogs.WaitForAssertion(() => Assert.NotNull(dialogs.Find("[data-testid=price-form]")));
        return dialogs.FindComponent<NewPriceForm>();
    }

    /// <summary>The input of a field marked with this test id (Mud puts the id on the input or on its field).</summary>
    private IElement Input(string testId)
    {
        var marked = dialogs.Find($"[data-testid={testId}]");
        return marked.TagName == "INPUT" ? marked : marked.QuerySelector("input")!;
    }

    /// <summary>The field around that input: its label, the input and the message below it.</summary>
    private IElement FieldOf(string testId) => Input(testId).Closest(".mud-input-control")!;

    private async Task ChooseProviderAsync(IRenderedComponent<NewPriceForm> form, string name)
    {
        await using var db = App.App.OpenDb();
        var id = await db.Providers.Where(p => p.Name == name).Select(p => p.Id).SingleAsync();
        var select = form.FindComponent<MudSelect<Guid?>>();
        await select.InvokeAsync(() => select.Instance.SelectOption((Guid?)id));
    }

    private static async Task NameModelAsync(IRenderedComponent<NewPriceForm> form, string model)
    {
        var autocomplete = form.FindComponent<MudAutocomplete<string>>();
        await autocomplete.InvokeAsync(() => autocomplete.Instance.SelectOptionAsync(model));
    }

    private async Task<List<Price>> PricesOfAsync(string model)
    {
        await using var db = App.App.OpenDb();
        return await db.Prices.AsNoTracking().Where(p => p.UpstreamModel == model).ToListAsync();
    }

    [Fact]
    public async Task A_finance_admin_adds_a_price_in_the_dialog_it_is_saved_listed_and_answered_by_a_snackbar()
    {
        var page = await OpenAsync("fiona.finance@acme.test");
        var model = DemoModel("bunit-added");

        var form = OpenForm(page);
        await ChooseProviderAsync(form, "groq");
        await NameModelAsync(form, model);
        Input("price-input").Change("0.123456");
        Input("price-cached").Change("0.0125");
        Input("price-output").Change("1.5");
        dialogs.Find("[data-testid=save-price]").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=price-form]")));
        var saved = Assert.Single(await PricesOfAsync(model));
        Assert.Equal(0.123456m, saved.InputPerMillion);
        Assert.Equal(0.0125m, saved.CachedInputPerMillion);
        Assert.Equal(PriceRules.CacheWriteOrDefault(0.123456m, null), saved.CacheWriteInputPerMillion);
        Assert.Equal(1.5m, saved.OutputPerMillion);
        Assert.Equal("fiona.finance@acme.test", saved.CreatedBy);
        page.WaitForAssertion(() =>
        {
            var row = Assert.Single(page.FindAll("[data-testid=prices-grid] tbody tr"), r => r.TextContent.Contains(model, StringComparison.Ordinal));
            Assert.Equal("$0.123456", row.QuerySelector("[data-testid=price-rate-input]")!.TextContent);
            Assert.Equal("in force", row.QuerySelector("[data-testid=price-status]")!.TextContent.Trim());
        });
        var snackbar = Assert.Single(Snackbars, s => (s.Message ?? "").Contains(model, StringComparison.Ordinal));
        Assert.Equal(Severity.Success, snackbar.Severity);
        Assert.StartsWith("Price added: groq/", snackbar.Message ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_and_invalid_fields_are_named_next_to_each_field_and_nothing_is_saved()
    {
        var page = await OpenAsync("adam.admin@acme.test");
        var form = OpenForm(page);
        var before = await CountPricesAsync();

        Input("price-input").Change("-1");
        Input("price-cache-write").Change("0.1234567");
        Input("price-output").Change("100001");
        dialogs.Find("[data-testid=save-price]").Click();

        dialogs.WaitForAssertion(() =>
        {
            Assert.Contains("Choose the provider that charges this price.", FieldOf("price-provider").TextContent, StringComparison.Ordinal);
            Assert.Contains("Name the provider's model, e.g. gpt-4o-mini.", FieldOf("price-model").TextContent, StringComparison.Ordinal);
            Assert.Contains("A price cannot be negative.", FieldOf("price-input").TextContent, StringComparison.Ordinal);
            Assert.Contains("A price has at most 6 decimals", FieldOf("price-cache-write").TextContent, StringComparison.Ordinal);
            Assert.Contains("A price is at most 100,000 USD per million tokens.", FieldOf("price-output").TextContent, StringComparison.Ordinal);
        });
        // The field left empty has no message: empty means the input price.
        Assert.DoesNotContain("A price", FieldOf("price-cached").TextContent, StringComparison.Ordinal);
        Assert.Single(dialogs.FindAll("[data-testid=price-form]"));
        Assert.Equal(before, await CountPricesAsync());
    }

    [Fact]
    public async Task The_price_books_own_rule_answers_with_an_error_snackbar_and_the_dialog_stays_open_to_fix_it()
    {
        var page = await OpenAsync("fiona.finance@acme.test");
        var model = DemoModel("bunit-free");
        var form = OpenForm(page);
        await ChooseProviderAsync(form, "groq");
        await NameModelAsync(form, model);

        dialogs.Find("[data-testid=save-price]").Click(); // input and output both 0: the service refuses a free model

        dialogs.WaitForAssertion(() => Assert.Contains(Snackbars, s => s.Severity == Severity.Error && (s.Message ?? "").Contains("would make calls free", StringComparison.Ordinal)));
        Assert.Single(dialogs.FindAll("[data-testid=price-form]"));
        Assert.Empty(await PricesOfAsync(model));

        Input("price-input").Change("0.5");
        Input("price-output").Change("0.75");
        dialogs.Find("[data-testid=save-price]").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=price-form]")));
        Assert.Equal(0.75m, Assert.Single(await PricesOfAsync(model)).OutputPerMillion);
    }

    [Fact]
    public async Task Cancel_closes_the_dialog_and_adds_nothing()
    {
        var page = await OpenAsync("olivia.owner@acme.test");
        var model = DemoModel("bunit-cancelled");
        var form = OpenForm(page);
        await ChooseProviderAsync(form, "groq");
        await NameModelAsync(form, model);
        Input("price-input").Change("1");
        Input("price-output").Change("2");

        dialogs.Find("[data-testid=cancel-price]").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=price-form]")));
        Assert.Empty(await PricesOfAsync(model));
        Assert.DoesNotContain(Snackbars, s => (s.Message ?? "").Contains(model, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_form_shows_the_price_in_force_for_the_chosen_model_and_what_empty_cache_prices_default_to()
    {
        var page = await OpenAsync("fiona.finance@acme.test");
        var form = OpenForm(page);

        Assert.Contains("Empty: the input price.", FieldOf("price-cached").TextContent, StringComparison.Ordinal);
        Assert.Contains("Empty: 1.25 × input", FieldOf("price-cache-write").TextContent, StringComparison.Ordinal);
        await ChooseProviderAsync(form, "groq");
        await NameModelAsync(form, "llama-3.3-70b-versatile");
        Input("price-input").Change("2");

        dialogs.WaitForAssertion(() => Assert.Contains("input $0.59", dialogs.Find("[data-testid=price-current]").TextContent, StringComparison.Ordinal));
        Assert.Equal("1.25 × input (2.5)", Input("price-cache-write").GetAttribute("placeholder"));
        Assert.Equal("same as input (2)", Input("price-cached").GetAttribute("placeholder"));
    }

    [Theory]
    [InlineData("olivia.owner@acme.test", true)]
    [InlineData("adam.admin@acme.test", true)]
    [InlineData("fiona.finance@acme.test", true)]
    [InlineData("aria.auditor@acme.test", false)]
    public async Task Only_owners_admins_and_finance_admins_are_offered_to_add_a_price_and_everyone_allowed_in_reads_the_book(string email, bool mayAdd)
    {
        var page = await OpenAsync(email);

        Assert.Equal(mayAdd, page.FindAll("[data-testid=new-price]").Count == 1);
        var llama = Assert.Single(page.FindAll("[data-testid=prices-grid] tbody tr"), r => r.TextContent.Contains("llama-3.3-70b-versatile", StringComparison.Ordinal));
        Assert.Equal("$0.79", llama.QuerySelector("[data-testid=price-rate-output]")!.TextContent);
        Assert.Contains("Prices are never edited", page.Find("[data-testid=prices-explained]").TextContent, StringComparison.Ordinal);
    }

    private async Task<int> CountPricesAsync()
    {
        await using var db = App.App.OpenDb();
        return await db.Prices.CountAsync();
    }

    private static string DemoModel(string stem) => $"{stem}-{Guid.NewGuid():N}"[..(stem.Length + 9)];
}
