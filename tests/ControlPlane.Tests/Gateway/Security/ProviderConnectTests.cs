using System.Collections.Concurrent;
using System.Net;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Tests.Gateway.Security;

/// <summary>
/// The provider clients' connect step, with a resolver that answers from a table (nothing is looked up) and a socket
/// opener that records every connection and refuses any outside 127.0.0.0/8, so a refusal is proven to come before
/// any socket, and no test can send a packet off this machine.
/// </summary>
public sealed class ProviderConnectTests : IAsyncLifetime
{
    private readonly TableResolver _resolver = new();
    private readonly ConcurrentQueue<IPAddress> _opened = new();
    private readonly ScriptedUpstream _upstream = ScriptedUpstream.Start();
    private readonly SilentListener _silent = new();

    private ProviderClients Clients(params string[] allowed)
    {
        var connector = new ProviderConnector(new ProviderAddressPolicy(allowed), _resolver)
        {
            Open = (addresses, port, ct) =>
            {
                foreach (var address in addresses) _opened.Enqueue(address);
                if (addresses.Any(a => !IPAddress.IsLoopback(a))) throw new InvalidOperationException($"Test fence: a socket to {string.Join(", ", addresses)} was about to be opened.");
                return ProviderConnector.OpenSocketAsync(addresses, port, ct);
            },
        };
        return new ProviderClients(TimeProvider.System, connector, NullLogger<ProviderClients>.Instance);
    }

    private static ProviderEndpoint Endpoint(string baseUrl) => new(Guid.NewGuid(), "p", ProviderKinds.OpenAI, new Uri(baseUrl), null, "sk-secret-provider-key",
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), MaxRetries: 2);

    private static Task<SendOutcome> ListModelsAsync(ProviderClients clients, ProviderEndpoint endpoint) =>
        clients.SendAsync(endpoint, new ProviderAttempts(), () => ProviderRequests.ListModels(endpoint), CancellationToken.None);

    [Fact]
    public async Task A_host_name_that_resolves_to_the_metadata_address_is_refused_before_any_socket_and_not_retried()
    {
        _resolver.Map("metadata.test", "169.254.169.254");
        using var clients = Clients();

        var outcome = await ListModelsAsync(clients, Endpoint("http://metadata.test/latest/"));

        Assert.Equal(SendFailure.AddressNotAllowed, outcome.Failure);
        Assert.Contains("Gateway:AllowedProviderAddresses", outcome.Detail, StringComparison.Ordinal);
        Assert.Empty(_opened);
        Assert.Equal(1, _resolver.Lookups("metadata.test")); // resolved at connect time, once: a refusal is not retried
    }

    [Theory]
    [InlineData("10.0.0.5")]
    [InlineData("192.168.0.10")]
    [InlineData("fe80::1")]
    [InlineData("100.64.1.1")]
    public async Task One_internal_address_among_the_answers_refuses_the_host_DNS_rebinding(string inward)
    {
        _resolver.Map("rebind.test", "127.0.0.1", inward);
        using var clients = Clients($"127.0.0.1:{_silent.Port}");

        var outcome = await ListModelsAsync(clients, Endpoint($"http://rebind.test:{_silent.Port}/v1/"));

        Assert.Equal(SendFailure.AddressNotAllowed, outcome.Failure);
        Assert.Empty(_opened);
        Assert.False(_silent.ReceivedConnection);
    }

    [Fact]
    public async Task Loopback_on_a_port_not_on_the_allow_list_is_refused_and_the_listener_there_receives_nothing()
    {
        using var clients = Clients($"127.0.0.1:{_upstream.Port}");

        var outcome = await ListModelsAsync(clients, Endpoint($"{_silent.Origin}/v1/"));

        Assert.Equal(SendFailure.AddressNotAllowed, outcome.Failure);
        Assert.Empty(_opened);
        Assert.False(_silent.ReceivedConnection);
    }

    [Fact]
    public async Task An_allowed_loopback_fake_is_called_with_its_key()
    {
        _upstream.Answer = (s, ct) => ScriptedUpstream.ReplyAsync(s, 200, "application/json", """{"data":[{"id":"m1"}]}"""u8.ToArray(), ct);
        using var clients = Clients($"127.0.0.1:{_upstream.Port}");

        var outcome = await ListModelsAsync(clients, Endpoint($"{_upstream.Origin}/v1/"));
        outcome.Response?.Dispose();

        Assert.Equal(SendFailure.None, outcome.Failure);
        Assert.Equal([IPAddress.Loopback], _opened);
        Assert.Contains("Bearer sk-secret-provider-key", Assert.Single(_upstream.Requests), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_even_to_an_allowed_address()
    {
        _upstream.Answer = (s, ct) => ScriptedUpstream.ReplyAsync(s, 302, "text/plain", [], ct, $"Location: {_silent.Origin}/v1/models\r\n");
        using var clients = Clients($"127.0.0.1:{_upstream.Port}", $"127.0.0.1:{_silent.Port}");

        var outcome = await ListModelsAsync(clients, Endpoint($"{_upstream.Origin}/v1/"));
        using var response = outcome.Response;

        Assert.Equal(SendFailure.Refused, outcome.Failure);
        Assert.Equal(HttpStatusCode.Found, response!.StatusCode);
        Assert.False(_silent.ReceivedConnection); // the key never travelled to the redirect's target
        Assert.Single(_upstream.Requests);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _silent.Dispose();
        await _upstream.DisposeAsync();
    }

}
