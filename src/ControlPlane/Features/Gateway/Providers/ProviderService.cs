using System.Diagnostics;
using System.Text.Json;
using ControlPlane.Features.Audit;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Infrastructure.Data;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Gateway.Providers;

/// <summary>
/// What an admin fills in for a provider. A blank <see cref="ApiKey"/> on edit keeps the stored one, unless the edit
/// changes where the key would be sent (scheme, host, port or kind): then the key must be typed again, or removed
/// with <see cref="ClearApiKey"/>.
/// </summary>
public sealed class ProviderForm
{
    public string Name { get; set; } = "";
    public string Kind { get; set; } = ProviderKinds.OpenAI;
    public string BaseUrl { get; set; } = "";
    public string? ApiVersion { get; set; }
    public string? ApiKey { get; set; }
    /// <summary>Removes the stored key (a provider that needs none, e.g. a local server), when no new key is typed.</summary>
    public bool ClearApiKey { get; set; }
    public bool Enabled { get; set; } = true;
    public int ConnectTimeoutSeconds { get; set; } = 10;
    public int FirstByteTimeoutSeconds { get; set; } = 60;
    public int IdleTimeoutSeconds { get; set; } = 60;
    public int TotalTimeoutSeconds { get; set; } = 600;
    public int MaxRetries { get; set; } = 2;
}

/// <summary>A provider as the Providers page lists it: never the secret, only its hint.</summary>
public sealed record ProviderRow(Guid Id, string Name, string Kind, string BaseUrl, string? ApiVersion, string? ApiKeyHint, bool Enabled, bool ManagedByConfiguration, int MaxRetries, DateTime UpdatedAt);

/// <summary>
/// What "test connection" found: reachable or not, how fast, and the models the provider lists. <see cref="Failure"/>
/// is a stable word for what went wrong (<see cref="ConnectionFailures"/>), the message says it in words.
/// </summary>
public sealed record ConnectionCheck(bool Reachable, int? Status, long Milliseconds, string Message, IReadOnlyList<string> Models, string? Failure = null);

/// <summary>The kinds of failure a connection test reports, never the raw exception text.</summary>
public static class ConnectionFailures
{
    public const string NotAllowed = "not_allowed";
    public const string NotFound = "not_found";
    public const string AddressNotAllowed = "address_not_allowed";
    public const string DnsFailed = "dns";
    public const string ConnectionRefused = "connection_refused";
    public const string ConnectionFailed = "connection_failed";
    public const string Timeout = "timeout";
    public const string Tls = "tls";
    public const string InvalidResponse = "invalid_response";
    public const string Redirect = "redirect";
    public const string Http = "http";
    public const string TooLarge = "too_large";
}

/// <summary>Adds, edits, disables and checks providers. Admins only; every change audited; secrets encrypted.</summary>
public sealed class ProviderService(
    IDbContextFactory<ControlPlaneDb> dbFactory, ProviderSecrets secrets, GatewayCatalog catalog, ProviderClients clients, AuditLog audit, TimeProvider clock,
    ProviderAddressPolicy addresses, IOptions<GatewayOptions> options, AuthenticationStateProvider signedIn)
{
    /// <summary>Who is asked to re-type the key: the field's name as the page labels it.</summary>
    public const string ApiKeyField = "API key";

    public async Task<IReadOnlyList<ProviderRow>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Providers.AsNoTracking().OrderBy(p => p.Name)
            .Select(p => new ProviderRow(p.Id, p.Name, p.Kind, p.BaseUrl, p.ApiVersion, p.ApiKeyHint, p.Enabled, p.ManagedByConfiguration, p.MaxRetries, p.UpdatedAt))
            .ToListAsync(ct);
    }

    /// <summary>A provider's current settings to edit, without its secret (the key box starts blank); null if it is gone.</summary>
    public async Task<ProviderForm?> EditFormAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Providers.AsNoTracking().Where(p => p.Id == id)
            .Select(p => new ProviderForm
            {
                Name = p.Name, Kind = p.Kind, BaseUrl = p.BaseUrl, ApiVersion = p.ApiVersion, Enabled = p.Enabled,
                ConnectTimeoutSeconds = p.ConnectTimeoutSeconds, FirstByteTimeoutSeconds = p.FirstByteTimeoutSeconds,
                IdleTimeoutSeconds = p.IdleTimeoutSeconds, TotalTimeoutSeconds = p.TotalTimeoutSeconds, MaxRetries = p.MaxRetries,
            })
            .FirstOrDefaultAsync(ct);
    }

    public async Task<Outcome<Provider>> SaveAsync(Actor actor, Guid? id, ProviderForm form, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<Provider>("Only an Owner or Admin can change providers.");
        if (Validate(form) is { } problem) return Outcome.Fail<Provider>(problem);
        if (addresses.CheckUrl(new Uri(form.BaseUrl.Trim())) is { } refused) return Outcome.Fail<Provider>($"Base URL: {refused}");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var name = form.Name.Trim();
        if (await db.Providers.AnyAsync(p => p.Name == name && p.Id != id, ct)) return Outcome.Fail<Provider>($"A provider named '{name}' already exists.");
        Provider? provider;
        if (id is { } existing)
        {
            provider = await db.Providers.FirstOrDefaultAsync(p => p.Id == existing, ct);
            if (provider is null) return Outcome.Fail<Provider>("That provider no longer exists.");
            if (provider.ManagedByConfiguration) return Outcome.Fail<Provider>("This provider comes from configuration; change it there.");
            if (KeyDestinationChange(provider, form) is { } change && provider.EncryptedApiKey is not null
                && string.IsNullOrWhiteSpace(form.ApiKey) && !form.ClearApiKey)
                return Outcome.Fail<Provider>($"{ApiKeyField}: re-enter the API key: the address changed ({change}). "
                    + "The stored key is only ever sent where it was entered for; type it again, or remove it.");
        }
        else
        {
            provider = new Provider { Id = Guid.NewGuid(), Name = name, Kind = form.Kind, BaseUrl = form.BaseUrl, CreatedAt = now };
            db.Providers.Add(provider);
        }
        provider.Name = name;
        provider.Kind = form.Kind;
        provider.BaseUrl = form.BaseUrl.Trim();
        provider.ApiVersion = string.IsNullOrWhiteSpace(form.ApiVersion) ? null : form.ApiVersion.Trim();
        provider.Enabled = form.Enabled;
        provider.ConnectTimeoutSeconds = form.ConnectTimeoutSeconds;
        provider.FirstByteTimeoutSeconds = form.FirstByteTimeoutSeconds;
        provider.IdleTimeoutSeconds = form.IdleTimeoutSeconds;
        provider.TotalTimeoutSeconds = form.TotalTimeoutSeconds;
        provider.MaxRetries = form.MaxRetries;
        provider.UpdatedAt = now;
        var keyChanged = !string.IsNullOrWhiteSpace(form.ApiKey);
        var keyRemoved = !keyChanged && form.ClearApiKey && provider.EncryptedApiKey is not null;
        if (keyChanged)
        {
            provider.EncryptedApiKey = secrets.Protect(form.ApiKey!.Trim());
            provider.ApiKeyHint = ProviderSecrets.Hint(form.ApiKey.Trim());
        }
        else if (keyRemoved)
        {
            provider.EncryptedApiKey = null;
            provider.ApiKeyHint = null;
        }
        await audit.SaveAsync(db, actor.Name, id is null ? "provider.created" : "provider.updated", $"provider:{provider.Name}",
            $"{provider.Kind} at {provider.BaseUrl}{(provider.Enabled ? "" : ", disabled")}{(keyChanged ? ", new API key " + provider.ApiKeyHint : "")}{(keyRemoved ? ", API key removed" : "")}", ct);
        await catalog.ReloadAsync(ct);
        return provider;
    }

    public async Task<Outcome<bool>> SetEnabledAsync(Actor actor, Guid id, bool enabled, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<bool>("Only an Owner or Admin can change providers.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var provider = await db.Providers.FirstOrDefaultAsync(p => p.Id == id, ct);
        if (provider is null) return Outcome.Fail<bool>("That provider no longer exists.");
        provider.Enabled = enabled;
        provider.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await audit.SaveAsync(db, actor.Name, enabled ? "provider.enabled" : "provider.disabled", $"provider:{provider.Name}", provider.Kind, ct);
        await catalog.ReloadAsync(ct);
        return enabled;
    }

    /// <summary>
    /// Test connection for the signed-in user of the current circuit (the Providers page): the role is checked here, on
    /// the server, not by the page hiding its button. Outside a circuit there is no such user, and nothing is sent.
    /// </summary>
    public async Task<ConnectionCheck> TestConnectionAsync(Guid id, CancellationToken ct = default)
    {
        Actor actor;
        try
        {
            actor = Actor.From((await signedIn.GetAuthenticationStateAsync()).User);
        }
        catch (InvalidOperationException)
        {
            actor = new Actor(null, "nobody", ""); // no circuit, so no signed-in user
        }
        return await TestConnectionAsync(actor, id, ct);
    }

    /// <summary>
    /// Asks the provider for its models with its own credentials: proves the URL, the key and the network. Owners and
    /// Admins only (it sends the stored key). Goes through the provider's own client (address policy at connect time,
    /// no redirects), reads at most <see cref="GatewayOptions.MaxProviderResponseBytes"/>, and reports a classified
    /// failure rather than exception text.
    /// </summary>
    public async Task<ConnectionCheck> TestConnectionAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return new ConnectionCheck(false, null, 0, "Only an Owner or Admin can test a provider's connection.", [], ConnectionFailures.NotAllowed);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var provider = await db.Providers.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct);
        if (provider is null) return new ConnectionCheck(false, null, 0, "That provider no longer exists.", [], ConnectionFailures.NotFound);
        return await ProbeAsync(clients, GatewayCatalog.ToEndpoint(provider, secrets), Math.Max(5, provider.FirstByteTimeoutSeconds), options.Value.MaxProviderResponseBytes, ct);
    }

    /// <summary>
    /// Lists the provider's models with its own credentials through its own client (address policy at connect time, no
    /// redirects), waiting at most <paramref name="waitSeconds"/> and reading at most <paramref name="maxBytes"/>:
    /// test connection, the health poller and the model list sync all ask this way.
    /// </summary>
    internal static async Task<ConnectionCheck> ProbeAsync(ProviderClients clients, ProviderEndpoint endpoint, int waitSeconds, int maxBytes, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        long Elapsed() => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(waitSeconds));
            using var request = ProviderRequests.ListModels(endpoint);
            using var response = await clients.HttpFor(endpoint).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var elapsed = Elapsed();
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
                return new ConnectionCheck(false, status, elapsed,
                    $"Redirect: the provider answered HTTP {status}{RedirectTarget(response)}; redirects are not followed. Set the base URL to the final address.", [], ConnectionFailures.Redirect);
            if (!response.IsSuccessStatusCode)
                return new ConnectionCheck(false, status, elapsed, $"HTTP {status} {response.ReasonPhrase}: {HttpMeaning(status)}", [], ConnectionFailures.Http);
            var body = await GatewayErrors.ReadCappedAsync(response, maxBytes, timeout.Token, "model list");
            var models = ModelNames(body);
            return new ConnectionCheck(true, status, elapsed, $"Connected in {elapsed} ms; {models.Count} model(s) listed.", models);
        }
        catch (OversizedAnswerException ex)
        {
            return new ConnectionCheck(false, 200, Elapsed(),
                $"Answer too large: the provider's model list is larger than {ex.Limit:N0} bytes ({GatewayOptions.Section}:{nameof(GatewayOptions.MaxProviderResponseBytes)}); it was not read.", [], ConnectionFailures.TooLarge);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ConnectionCheck(false, null, Elapsed(), $"Timeout: no answer within {waitSeconds} s.", [], ConnectionFailures.Timeout);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            var (failure, message) = Classify(ex, endpoint.BaseUrl);
            return new ConnectionCheck(false, null, Elapsed(), message, [], failure);
        }
    }

    /// <summary>A connection failure in words an admin can act on; the raw exception text is never shown.</summary>
    internal static (string Failure, string Message) Classify(Exception ex, Uri baseUrl)
    {
        var where = $"{baseUrl.Host}:{baseUrl.Port}";
        if (ProviderAddressRefusedException.In(ex) is { } refused)
            return (ConnectionFailures.AddressNotAllowed, $"Address not allowed: {refused.Message}");
        if (Inner<System.Net.Sockets.SocketException>(ex) is { } socket)
        {
            switch (socket.SocketErrorCode)
            {
                case System.Net.Sockets.SocketError.ConnectionRefused:
                    return (ConnectionFailures.ConnectionRefused, $"Could not connect: connection refused (nothing listens at {where}).");
                case System.Net.Sockets.SocketError.TimedOut:
                    return (ConnectionFailures.Timeout, $"Timeout: could not connect to {where} in time.");
                case System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData or System.Net.Sockets.SocketError.TryAgain:
                    return (ConnectionFailures.DnsFailed, $"Could not connect: the host name {baseUrl.Host} does not resolve.");
            }
        }
        return (ex as HttpRequestException)?.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => (ConnectionFailures.DnsFailed, $"Could not connect: the host name {baseUrl.Host} does not resolve."),
            HttpRequestError.SecureConnectionError => (ConnectionFailures.Tls, $"TLS: the secure connection to {where} failed (certificate or protocol)."),
            HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded => (ConnectionFailures.InvalidResponse, $"Invalid response: {where} did not answer with valid HTTP."),
            _ when Inner<OperationCanceledException>(ex) is not null || Inner<TimeoutException>(ex) is not null => (ConnectionFailures.Timeout, $"Timeout: could not connect to {where} in time."),
            _ => (ConnectionFailures.ConnectionFailed, $"Could not connect to {where}: the connection failed."),
        };
    }

    private static T? Inner<T>(Exception? ex) where T : Exception
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is T found) return found;
        return null;
    }

    private static string RedirectTarget(HttpResponseMessage response) =>
        response.Headers.Location is { IsAbsoluteUri: true } to ? $" to {to.GetLeftPart(UriPartial.Authority)}" : "";

    private static string HttpMeaning(int status) => status switch
    {
        401 => "the provider refused the API key; re-enter it.",
        403 => "the API key is not allowed to list models (or the account is blocked).",
        404 => "nothing at this URL; check the base URL (OpenAI-compatible servers usually end in /v1).",
        429 => "the provider is rate limiting; try again shortly.",
        >= 500 => "the provider failed; try again later.",
        _ => "the provider refused the request.",
    };

    /// <summary>What about the key's destination an edit changes (scheme, host, port, kind), in words, or null.</summary>
    internal static string? KeyDestinationChange(Provider stored, ProviderForm form)
    {
        var changes = new List<string>();
        if (!string.Equals(stored.Kind, form.Kind, StringComparison.Ordinal)) changes.Add($"kind {stored.Kind} → {form.Kind}");
        if (Uri.TryCreate(stored.BaseUrl, UriKind.Absolute, out var before) && Uri.TryCreate(form.BaseUrl.Trim(), UriKind.Absolute, out var after))
        {
            if (!string.Equals(before.Scheme, after.Scheme, StringComparison.OrdinalIgnoreCase)
                || !string.Equals(before.IdnHost, after.IdnHost, StringComparison.OrdinalIgnoreCase) || before.Port != after.Port)
                changes.Add($"{before.GetLeftPart(UriPartial.Authority)} → {after.GetLeftPart(UriPartial.Authority)}");
        }
        else if (!string.Equals(stored.BaseUrl, form.BaseUrl.Trim(), StringComparison.Ordinal))
        {
            changes.Add("base URL");
        }
        return changes.Count == 0 ? null : string.Join(", ", changes);
    }

    /// <summary>Model ids from OpenAI's and Anthropic's <c>data[].id</c> or Gemini's <c>models[].name</c>.</summary>
    internal static IReadOnlyList<string> ModelNames(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
                return [.. data.EnumerateArray().Select(m => m.TryGetProperty("id", out var i) ? i.GetString() : null).OfType<string>().Order(StringComparer.Ordinal)];
            if (root.TryGetProperty("models", out var models) && models.ValueKind == JsonValueKind.Array)
                return [.. models.EnumerateArray().Select(m => m.TryGetProperty("name", out var n) ? n.GetString()?.Replace("models/", "", StringComparison.Ordinal) : null).OfType<string>().Order(StringComparer.Ordinal)];
        }
        catch (JsonException)
        {
            // not a model list: report none
        }
        return [];
    }

    internal static string? Validate(ProviderForm form)
    {
        if (NameProblem(form.Name) is { } name) return name;
        if (!ProviderKinds.All.Contains(form.Kind)) return $"The kind is one of {string.Join(", ", ProviderKinds.All)}.";
        if (BaseUrlProblem(form.BaseUrl) is { } url) return url;
        if (ApiVersionProblem(form.Kind, form.ApiVersion) is { } version) return version;
        if (form.ConnectTimeoutSeconds is < 1 or > 120 || form.FirstByteTimeoutSeconds is < 1 or > 600 || form.IdleTimeoutSeconds is < 1 or > 600 || form.TotalTimeoutSeconds is < 1 or > 3600)
            return "Timeouts: connect 1–120 s, first byte and idle 1–600 s, total 1–3600 s.";
        if (form.MaxRetries is < 0 or > 5) return "Retries are between 0 and 5.";
        return null;
    }

    // The field rules on their own, so the editor shows the service's own words beside each field.
    public static string? NameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100 ? "A provider needs a name of at most 100 characters." : null;

    public static string? BaseUrlProblem(string? baseUrl) =>
        Uri.TryCreate(baseUrl?.Trim(), UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? null
            : "The base URL must be an absolute http(s) URL, e.g. https://api.openai.com/v1.";

    public static string? ApiVersionProblem(string kind, string? apiVersion) =>
        kind == ProviderKinds.AzureOpenAI && string.IsNullOrWhiteSpace(apiVersion) ? "Azure OpenAI needs an api-version, e.g. 2024-10-21." : null;
}
