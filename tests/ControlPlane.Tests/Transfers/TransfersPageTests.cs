using Bunit;
using ControlPlane.Features.Transfers;
using ControlPlane.Tests.Components;
using ControlPlane.Tests.Teams;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Transfers;

/// <summary>The Transfers page on the real app's services and demo data: deciding, asking from the 402's link, and live updates.</summary>
public sealed class TransfersPageTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task Finance_approves_a_queued_request_with_a_comment_and_the_budget_moves()
    {
        await SignInAsAsync(TransferTestKit.Fiona);
        var research = await WalletAsync("Team Research");
        var pending = await PendingToAsync(research.Id);
        var (dialogs, page) = RenderWithDialogs<TransfersPage>();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll($"[data-testid=queue-item] [data-transfer-id='{pending}']")));
        Assert.NotEmpty(page.FindAll("[data-testid=queue-item] [data-testid=wallet-burn]")); // the destination's spend beside the request
        var item = page.FindAll("[data-testid=queue-item]").First(e => e.QuerySelector($"[data-transfer-id='{pending}']") is not null);
        item.QuerySelector("[data-testid=approve-transfer]")!.Click();
        TextAreaOf(dialogs, "decision-comment").Change("Evaluation is worth it");
        dialogs.Find("[data-testid=confirm-decision]").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=decide-transfer-dialog]")));
        await using var db = App.App.OpenDb();
        var stored = await db.Transfers.AsNoTracking().Include(t => t.Decisions).SingleAsync(t => t.Id == pending);
        Assert.Equal(TransferStates.Approved, stored.State);
        Assert.Equal("Evaluation is worth it", stored.Decisions.Single().Comment);
        Assert.Equal(research.Limit + stored.Amount, (await WalletAsync("Team Research")).Limit);
        page.WaitForAssertion(() => Assert.Empty(page.FindAll($"[data-testid=queue-item] [data-transfer-id='{pending}']")));
        Assert.Contains(Snackbars, s => s.Severity == Severity.Success && (s.Message ?? "").StartsWith("Approved", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_402_link_opens_a_pre_filled_request_and_it_lands_in_my_requests()
    {
        await SignInAsAsync(TransferTestKit.Leo);
        var platform = await WalletAsync("Team Platform");
        Services.GetRequiredService<NavigationManager>().NavigateTo($"transfers/new?wallet={platform.Id}&amount=7");
        var (dialogs, page) = RenderWithDialogs<TransfersPage>();

        dialogs.WaitForAssertion(() => Assert.NotEmpty(dialogs.FindAll("[data-testid=new-transfer-dialog]")));
        Assert.Equal("7.00", InputOf(dialogs, "transfer-amount-input").GetAttribute("value"));
        TextAreaOf(dialogs, "transfer-reason").Change("Our launch week needs more calls");
        dialogs.Find("[data-testid=send-transfer]").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=new-transfer-dialog]")));
        await using var db = App.App.OpenDb();
        var made = await db.Transfers.AsNoTracking().Where(t => t.ToWalletId == platform.Id && t.Reason == "Our launch week needs more calls").SingleAsync();
        Assert.Equal((7m, TransferStates.Pending, TransferTestKit.Leo), (made.Amount, made.State, made.RequestedBy));
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll($"[data-transfer-id='{made.Id}']")));
        Assert.Empty(page.FindAll("[data-testid=tab-queue]")); // a team lead asks; finance decides
    }

    [Fact]
    public async Task A_request_made_elsewhere_appears_in_the_open_queue_without_a_reload()
    {
        await SignInAsAsync(TransferTestKit.Olivia);
        var (_, page) = RenderWithDialogs<TransfersPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=transfer-tabs]")));
        var platform = await WalletAsync("Team Platform");

        var leo = await App.App.ActorAsync(TransferTestKit.Leo);
        Outcome made;
        await using (var scope = App.App.Services.CreateAsyncScope())
        {
            var requested = await scope.ServiceProvider.GetRequiredService<TransferService>()
                .RequestAsync(leo, new TransferForm { ToWalletId = platform.Id, Amount = 3m, Reason = "asked from another browser" });
            Assert.True(requested.Succeeded, requested.Error);
            made = new(requested.Value!.Id);
        }

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll($"[data-testid=queue-item] [data-transfer-id='{made.Id}']")));
    }

    private readonly record struct Outcome(Guid Id);

    /// <summary>A multi-line MudTextField's textarea (its data-testid sits on it or around it).</summary>
    private static AngleSharp.Dom.IElement TextAreaOf<T>(IRenderedComponent<T> root, string testId) where T : IComponent
    {
        root.WaitForAssertion(() => Assert.NotEmpty(root.FindAll($"[data-testid={testId}]")));
        var marked = root.Find($"[data-testid={testId}]");
        return marked.LocalName == "textarea" ? marked : marked.QuerySelector("textarea")!;
    }

    private async Task<Guid> PendingToAsync(Guid wallet)
    {
        await using var db = App.App.OpenDb();
        return await db.Transfers.Where(t => t.ToWalletId == wallet && t.State == TransferStates.Pending).Select(t => t.Id).FirstAsync();
    }

    private async Task<ControlPlane.Features.Wallets.Wallet> WalletAsync(string name)
    {
        await using var db = App.App.OpenDb();
        return await db.Wallets.AsNoTracking().SingleAsync(w => w.Name == name);
    }
}
