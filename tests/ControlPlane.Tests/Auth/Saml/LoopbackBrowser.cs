using System.Net;
using System.Text.RegularExpressions;

namespace ControlPlane.Tests.Auth.Saml;

/// <summary>
/// An HttpClient that keeps cookies as a browser does on loopback: per host (not per port), and Secure cookies sent over
/// plain http to 127.0.0.1 (Chromium treats loopback as a secure context). Redirects are followed by the caller.
/// </summary>
internal sealed partial class LoopbackBrowser : IDisposable
{
    private readonly Dictionary<string, Dictionary<string, string>> _cookies = new(StringComparer.OrdinalIgnoreCase);
    private readonly HttpClient _http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public IReadOnlyDictionary<string, string> CookiesOf(Uri url) =>
        _cookies.TryGetValue(url.Host, out var jar) ? jar : new Dictionary<string, string>();

    public Task<HttpResponseMessage> GetAsync(Uri url) => SendAsync(new HttpRequestMessage(HttpMethod.Get, url));

    /// <summary>POSTs a form; <paramref name="host"/> sends another Host header, as a load balancer in front of the node would.</summary>
    public Task<HttpResponseMessage> PostFormAsync(Uri url, IEnumerable<KeyValuePair<string, string>> fields, string? host = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) };
        if (host is not null) request.Headers.Host = host;
        return SendAsync(request);
    }

    public void SetCookie(Uri url, string name, string value)
    {
        if (!_cookies.TryGetValue(url.Host, out var jar)) _cookies[url.Host] = jar = new(StringComparer.Ordinal);
        jar[name] = value;
    }

    /// <summary>GETs <paramref name="url"/> and follows redirects; returns the last response.</summary>
    public async Task<HttpResponseMessage> FollowAsync(Uri url)
    {
        var response = await GetAsync(url);
        for (var hops = 0; IsRedirect(response) && hops < 10; hops++)
        {
            var next = new Uri(url, response.Headers.Location!);
            response.Dispose();
            url = next;
            response = await GetAsync(url);
        }
        return response;
    }

    public static bool IsRedirect(HttpResponseMessage response) => (int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is not null;

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        if (_cookies.TryGetValue(request.RequestUri!.Host, out var jar) && jar.Count > 0)
            request.Headers.Add("Cookie", string.Join("; ", jar.Select(c => $"{c.Key}={c.Value}")));
        var response = await _http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            if (!_cookies.TryGetValue(request.RequestUri.Host, out jar)) _cookies[request.RequestUri.Host] = jar = new(StringComparer.Ordinal);
            foreach (var header in setCookies)
            {
                var pair = header.Split(';', 2)[0];
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) continue;
                var (name, value) = (pair[..eq].Trim(), pair[(eq + 1)..].Trim());
                var expired = header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase) || header.Contains("max-age=0", StringComparison.OrdinalIgnoreCase);
                if (expired || value.Length == 0) jar.Remove(name);
                else jar[name] = value;
            }
        }
        return response;
    }

    /// <summary>The first form of an HTML page: its absolute action and its input fields (hidden ones with values).</summary>
    public static (Uri Action, Dictionary<string, string> Fields) FormOf(string html, Uri page)
    {
        var form = FormPattern().Match(html);
        if (!form.Success) throw new InvalidOperationException($"No form on {page}:\n{html}");
        var action = WebUtility.HtmlDecode(form.Groups["action"].Value);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match input in InputPattern().Matches(html))
        {
            var attributes = AttributePattern().Matches(input.Value).ToDictionary(a => a.Groups["name"].Value.ToLowerInvariant(), a => WebUtility.HtmlDecode(a.Groups["value"].Value));
            if (attributes.TryGetValue("name", out var name)) fields[name] = attributes.GetValueOrDefault("value", "");
        }
        return (new Uri(page, action.Length == 0 ? page.PathAndQuery : action), fields);
    }


    public static async Task<string> BodyOf(HttpResponseMessage response) => await response.Content.ReadAsStringAsync();

    [GeneratedRegex("<form[^>]*?action=\"(?<action>[^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex FormPattern();

    [GeneratedRegex("<input[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InputPattern();

    [GeneratedRegex("(?<name>[a-zA-Z-]+)=\"(?<value>[^\"]*)\"")]
    private static partial Regex AttributePattern();

    public void Dispose() => _http.Dispose();
}
