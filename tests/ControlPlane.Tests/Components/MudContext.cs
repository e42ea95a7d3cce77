using Bunit;
using MudBlazor.Services;

namespace ControlPlane.Tests.Components;

/// <summary>
/// A bUnit context with MudBlazor's services. MudBlazor's own script calls are answered loosely (bUnit has no
/// browser; Playwright covers the real script). xUnit 2 disposes a test class with the synchronous Dispose, which
/// MudBlazor's IAsyncDisposable-only services (popover, pointer events, key interceptor) refuse: as an
/// IAsyncLifetime the class is disposed asynchronously first, and the later Dispose finds nothing left to do.
/// </summary>
public abstract class MudContext : BunitContext, IAsyncLifetime
{
    private bool _disposedAsync;

    static MudContext() =>
        // An upper bound for a loaded two-core machine, not a timing any test relies on.
        DefaultWaitTimeout = TimeSpan.FromSeconds(15);

    protected MudContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        _disposedAsync = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposedAsync) base.Dispose(disposing);
    }
}
