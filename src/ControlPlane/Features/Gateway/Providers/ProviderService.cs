using System.Diagnostics;
using System.Text.Json;
using ControlPlane.Features.Audit;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Gateway.Providers;

/// <summary>What an admin fills in for a provider. A blank <see cref="ApiKey"/> on edit keeps the stored one.</summary>
public sealed class ProviderForm
{
    public string Name { get; set; } = "";
    public string Kind { get; set; } = ProviderKinds.OpenAI;
    public string BaseUrl { get; set; } = "";
    public string? ApiVersion { get; set; }
    public string? ApiKey { get; set; }
    public bool Enabled { get; set; } = true;
    public int ConnectTimeoutSeconds { get; set; } = 10;
    public int FirstByteTimeoutSeconds { get; set; } = 60;
    public int IdleTimeoutSeconds { get; set; } = 60;
    public int TotalTimeoutSeconds { get; set; } = 600;
    public int MaxRetries { get; set; } = 2;
}

/// <summary>A provider as the Providers page lists it: never the secret, only its hint.</summary>
public sealed record ProviderRow(Guid Id, string Name, string Kind, string BaseUrl, string? ApiVersion, string? ApiKeyHint, bool Enabled, bool ManagedByConfiguration, int MaxRetries, DateTime UpdatedAt);

/// <summary>What "test connection" found: reachable or not, how fast, and the models the provider lists.</summary>
public sealed record ConnectionCheck(bool Reachable, int? Status, long Milliseconds, string Message, IReadOnlyList<string> Models);

/// <summary>Adds, edits, disables and checks providers. Admins only; every change audited; secrets encrypted.</summary>
public sealed class ProviderService(
    IDbContextFactory<ControlPlaneDb> dbFactory, ProviderSecrets secrets, GatewayCatalog catalog, ProviderClients clients, AuditLog audit, TimeProvider clock)
{
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
        if (keyChanged)
        {
            provider.EncryptedApiKey = secrets.Protect(form.ApiKey!.Trim());
            provider.ApiKeyHint = ProviderSecrets.Hint(form.ApiKey.Trim());
        }
        await audit.SaveAsync(db, actor.Name, id is null ? "provider.created" : "provider.updated", $"provider:{provider.Name}",
            $"{provider.Kind} at {provider.BaseUrl}{(provider.Enabled ? "" : ", disabled")}{(keyChanged ? ", new API key " + provider.ApiKeyHint : "")}", ct);
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

    /// <summary>Asks the provider for its models with its own credentials: proves the URL, the key and the network.</summary>
    public async Task<ConnectionCheck> TestConnectionAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var provider = await db.Providers.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct);
        if (provider is null) return new ConnectionCheck(false, null, 0, "That provider no longer exists.", []);
        var endpoint = GatewayCatalog.ToEndpoint(provider, secrets);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(5, provider.FirstByteTimeoutSeconds)));
            using var request = ProviderRequests.ListModels(endpoint);
            using var response = await clients.HttpFor(endpoint).SendAsync(request, timeout.Token);
            var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            if (!response.IsSuccessStatusCode)
                return new ConnectionCheck(false, (int)response.StatusCode, elapsed, $"The provider answered {(int)response.StatusCode} {response.ReasonPhrase}.", []);
            var models = ModelNames(body);
            return new ConnectionCheck(true, (int)response.StatusCode, elapsed, $"Connected in {elapsed} ms; {models.Count} model(s) listed.", models);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return new ConnectionCheck(false, null, elapsed, ex is OperationCanceledException ? "No answer in time." : $"Could not connect: {ex.Message}", []);
        }
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
