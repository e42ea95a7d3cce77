using ControlPlane.Features.Gateway.Providers;

namespace ControlPlane.Features.Notifications;

/// <summary>
/// Where notifications may POST (webhook, Slack and Teams URLs, Slack's <c>response_url</c>): the same address rule as
/// provider base URLs (<see cref="ProviderAddressPolicy"/>, <c>Gateway:AllowedProviderAddresses</c>), so an admin cannot
/// aim the server at its cloud metadata endpoint or an internal service. Checked when a URL is saved (as typed) and
/// again at connect time against every address the host resolves to then (<see cref="Gateway.Relay.ProviderConnector.CheckedHandler"/>),
/// so DNS rebinding cannot reach inside.
/// </summary>
public static class WebhookAddresses
{
    /// <summary>Why <paramref name="url"/> may not be used (as typed, nothing resolved), or null when it may.</summary>
    public static string? Problem(ProviderAddressPolicy policy, Uri url) =>
        policy.CheckUrl(url) is { } refused ? $"That address is not allowed for notifications: {refused}" : null;
}
