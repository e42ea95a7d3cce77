using System.Data.Common;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Routing;
using MudBlazor;

namespace ControlPlane.Features.Metering;

/// <summary>
/// The Requests page. The URL is the state: filters, order, page size and cursor are read from it on every navigation
/// (a filter change, Older/Newer, the back button) and the grid reloads; nothing else moves the view.
/// </summary>
public sealed partial class CallsPage
{
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private static readonly int[] PageSizes = [25, 50, 100, CallQueries.MaxPageSize];
    private static readonly CallSort[] Sorts =
    [
        CallSort.Newest, new(CallSortKey.At, false), new(CallSortKey.Cost, true), new(CallSortKey.Cost, false),
        new(CallSortKey.Latency, true), new(CallSortKey.Latency, false),
    ];

    private Actor actor = default!;
    private bool orgWide;
    private bool ready;
    private CallsGrid? grid;
    private CallView view = new();
    private CallPage page = CallPage.Empty;
    private CallTotals totals = CallTotals.None;
    private CallDetail? detail;
    private bool drawerOpen;

    private IReadOnlyList<TeamChoice> teamChoices = [];
    private IReadOnlyList<KeyChoice> keyChoices = [];
    private Dictionary<Guid, TeamNode> teamsById = [];
    private Dictionary<Guid, KeyRow> keys = [];
    private IReadOnlyList<string> models = [];
    private IReadOnlyList<string> providers = [];
    private IReadOnlyList<string> errorClasses = [];

    protected override async Task OnInitializedAsync()
    {
        actor = Actor.From((await AuthState).User);
        orgWide = actor.IsOrgWide;
        view = CallView.Parse(new Uri(Navigation.Uri).Query);
        var teams = await Teams.ListAsync(await Teams.VisibleToAsync(actor));
        teamsById = teams.ToDictionary(n => n.Team.Id);
        teamChoices = [.. teams.Select(n => new TeamChoice(n.Team.Id, n.Path))];
        keys = (await Keys.ListAsync(actor)).ToDictionary(k => k.Id);
        keyChoices = [.. keys.Values.OrderBy(k => k.Name, StringComparer.OrdinalIgnoreCase).Select(k => new KeyChoice(k.Id, $"{k.Name} ({k.Prefix}…)"))];
        models = await Calls.ModelsAsync(actor);
        providers = await Calls.ProvidersAsync(actor);
        errorClasses = await Calls.ErrorClassesAsync(actor);
        Navigation.LocationChanged += OnLocationChanged;
        ready = true; // the grid asks for its first page once it exists
    }

    private void OnLocationChanged(object? sender, LocationChangedEventArgs e)
    {
        var next = CallView.Parse(new Uri(e.Location).Query);
        if (next == view) return;
        view = next;
        _ = InvokeAsync(async () =>
        {
            StateHasChanged();
            if (grid is not null) await grid.ReloadAsync();
        });
    }

    /// <summary>The grid's rows: one keyset page of the URL's view; the totals strip is read beside it.</summary>
    private async Task<IReadOnlyList<CallRow>> LoadAsync(CancellationToken ct)
    {
        var filter = view.ToFilter(Clock.GetUtcNow().UtcDateTime);
        try
        {
            var rows = Calls.PageAsync(actor, filter, view.Sort, view.PageSize, CallCursor.Parse(view.After), CallCursor.Parse(view.Before), ct);
            var sums = Calls.TotalsAsync(actor, filter, ct);
            page = await rows;
            _ = ShowTotalsAsync(sums); // the rows need not wait for the sums over the whole range
        }
        catch (DbException e)
        {
            Snackbar.Add($"The calls could not be read ({e.Message}). Try Refresh in a moment.", Severity.Error);
            page = CallPage.Empty;
        }
        StateHasChanged(); // the pager sits outside the grid
        return page.Rows;
    }

    private async Task ShowTotalsAsync(Task<CallTotals> sums)
    {
        try
        {
            totals = await sums;
        }
        catch (DbException e)
        {
            Snackbar.Add($"The totals could not be read ({e.Message}).", Severity.Warning);
            totals = CallTotals.None;
        }
        catch (OperationCanceledException)
        {
            return; // a newer load replaced this one
        }
        await InvokeAsync(StateHasChanged);
    }

    private void Go(CallView next) => Navigation.NavigateTo(new Uri(Navigation.Uri).AbsolutePath + next.ToQueryString());

    private Task GoAsync(CallView next)
    {
        Go(next);
        return Task.CompletedTask;
    }

    private Task SortAsync(CallSort sort) => GoAsync(view.FirstPage() with { Sort = sort });
    private Task SizeAsync(int size) => GoAsync(view.FirstPage() with { PageSize = size });
    private Task NextAsync() => GoAsync(view with { After = page.Next?.Token, Before = null });
    private Task PreviousAsync() => GoAsync(view with { After = null, Before = page.Previous?.Token });

    private async Task RefreshAsync()
    {
        if (grid is null) return;
        await grid.ReloadAsync();
        Snackbar.Add($"Calls reloaded: {totals.Calls:N0} match the filters.", Severity.Info);
    }

    private async Task ShowAsync(CallRow call)
    {
        detail = await Details.FindAsync(actor, call.Id);
        if (detail is null)
        {
            Snackbar.Add("That call is no longer visible to you.", Severity.Warning);
            return;
        }
        drawerOpen = true;
    }

    private void DrawerChanged(bool open)
    {
        drawerOpen = open;
        if (!open) detail = null;
    }

    private string? TeamPathOf(CallRow call) => call.TeamId is { } teamId && teamsById.TryGetValue(teamId, out var node) ? node.Path : null;
    private string? KeyLabelOf(CallRow call) => call.KeyId is { } keyId && keys.TryGetValue(keyId, out var k) ? $"{k.Prefix}… ({k.Name})" : null;

    private static string SortLabel(CallSort? sort) => sort switch
    {
        { Key: CallSortKey.Cost, Descending: true } => "Most expensive first",
        { Key: CallSortKey.Cost } => "Cheapest first",
        { Key: CallSortKey.Latency, Descending: true } => "Slowest first",
        { Key: CallSortKey.Latency } => "Fastest first",
        { Key: CallSortKey.At, Descending: false } => "Oldest first",
        _ => "Newest first",
    };

    public void Dispose() => Navigation.LocationChanged -= OnLocationChanged;
}
