using System.Collections.Concurrent;
using System.Text;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>
/// Each SAML provider's IdP metadata, read from its file or fetched from its URL (with a timeout and a size cap) and
/// read again every <see cref="SamlOptions.MetadataRefreshInterval"/>, so a rotated signing key is picked up. When a
/// refresh fails the last good metadata stays in use (and the failure is logged): an IdP's hiccup signs nobody out.
/// </summary>
public sealed class SamlIdpMetadataSource(IHttpClientFactory httpFactory, TimeProvider time, ILogger<SamlIdpMetadataSource> logger)
{
    public const string HttpClientName = "saml-metadata";

    private sealed record Entry(SamlIdpMetadata Metadata, DateTimeOffset ReadAt);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public async Task<SamlIdpMetadata> GetAsync(SamlOptions options, CancellationToken cancel)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(options.ProviderName, out var entry) && now - entry.ReadAt < options.MetadataRefreshInterval)
            return entry.Metadata;
        var gate = _locks.GetOrAdd(options.ProviderName, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancel);
        try
        {
            if (_entries.TryGetValue(options.ProviderName, out entry) && time.GetUtcNow() - entry.ReadAt < options.MetadataRefreshInterval)
                return entry.Metadata;
            try
            {
                var metadata = SamlIdpMetadata.Parse(await ReadAsync(options, cancel));
                _entries[options.ProviderName] = new Entry(metadata, time.GetUtcNow());
                SamlLog.MetadataRead(logger, options.ProviderName, metadata.EntityId, metadata.SigningCertificates.Count);
                return metadata;
            }
            catch (Exception e) when (entry is not null && e is FormatException or HttpRequestException or IOException or TaskCanceledException)
            {
                SamlLog.MetadataRefreshFailed(logger, options.ProviderName, e.Message);
                // Keep the last good metadata, and try again after a minute rather than on every request.
                _entries[options.ProviderName] = entry with { ReadAt = time.GetUtcNow() - options.MetadataRefreshInterval + TimeSpan.FromMinutes(1) };
                return entry.Metadata;
            }
        }
        finally { gate.Release(); }
    }

    private async Task<string> ReadAsync(SamlOptions options, CancellationToken cancel)
    {
        if (!string.IsNullOrWhiteSpace(options.IdpMetadataFile))
            return await File.ReadAllTextAsync(options.IdpMetadataFile, cancel);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(options.MetadataTimeout);
        var http = httpFactory.CreateClient(HttpClientName);
        using var response = await http.GetAsync(options.IdpMetadataUrl, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > options.MetadataMaxBytes)
            throw new FormatException($"The IdP metadata at {options.IdpMetadataUrl} is larger than {options.MetadataMaxBytes} bytes.");
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, timeout.Token)) > 0)
        {
            if (buffer.Length + read > options.MetadataMaxBytes)
                throw new FormatException($"The IdP metadata at {options.IdpMetadataUrl} is larger than {options.MetadataMaxBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
