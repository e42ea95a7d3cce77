using System.Net;
using System.Text.RegularExpressions;

namespace ControlPlane.Tests.Auth.Oidc;

/// <summary>
/// What a browser does during an OIDC sign-in, with a plain HttpClient: follows every redirect between the app and the
/// provider (cookies kept per host), and fills in the provider's devInteractions login form with a login.
/// </summary>
public sealed partial class OidcBrowser(Uri app) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true });

    public Uri App => app;

    /// <summary>The address the provider sent the browser back to the app with (code and state), once seen.</summary>
    public Uri? Callback { get; private set; }

    /// <summary>Stop before the app's callback is requested (to replay it elsewhere).</summary>
    public bool StopAtCallback { get; set; }

    public HttpClient Http => _http;

    /// <summary>Starts at <c>/sign-in/{provider}</c>, signs in at the provider as <paramref name="login"/>; returns where it ends.</summary>
    public Task<Landing> SignInAsync(string login, string provider = OidcTestApp.Name, string returnUrl = "/") =>
        FollowAsync(new Uri(app, $"/sign-in/{provider}?returnUrl={Uri.EscapeDataString(returnUrl)}"), login);

    /// <summary>Follows redirects from <paramref name="start"/>, posting the provider's login form when it appears.</summary>
    public async Task<Landing> FollowAsync(Uri start, string? login = null, HttpMethod? method = null, HttpContent? content = null)
    {
        var uri = start;
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, uri) { Content = content };
        for (var hop = 0; hop < 25; hop++)
        {
            using var response = await _http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.Headers.Location is { } location)
            {
                uri = new Uri(uri, location);
                if (uri.Port == app.Port && uri.AbsolutePath.StartsWith("/signin-oidc-", StringComparison.Ordinal))
                {
                    Callback = uri;
                    if (StopAtCallback) return new Landing(uri, HttpStatusCode.Redirect, "");
                }
                request = new HttpRequestMessage(HttpMethod.Get, uri);
                continue;
            }
            if (login is not null && response.StatusCode == HttpStatusCode.OK && LoginForm().Match(body) is { Success: true } form)
            {
                uri = new Uri(uri, WebUtility.HtmlDecode(form.Groups[1].Value));
                request = new HttpRequestMessage(HttpMethod.Post, uri)
                {
                    Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["prompt"] = "login", ["login"] = login, ["password"] = "any" }),
                };
                login = null;
                continue;
            }
            if (response.StatusCode == HttpStatusCode.OK && LogoutForm().Match(body) is { Success: true } logout)
            {
                // The provider's sign-out confirmation (a browser submits it by script).
                var fields = HiddenInputs().Matches(logout.Value).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
                fields["logout"] = "yes";
                uri = new Uri(uri, WebUtility.HtmlDecode(logout.Groups[1].Value));
                request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new FormUrlEncodedContent(fields) };
                continue;
            }
            return new Landing(uri, response.StatusCode, body);
        }
        throw new InvalidOperationException($"More than 25 redirects from {start}.");
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("<form[^>]*action=\"([^\"]+)\"[^>]*method=\"post\"[^>]*>\\s*<input type=\"hidden\" name=\"prompt\" value=\"login\"", RegexOptions.Singleline)]
    private static partial Regex LoginForm();

    [GeneratedRegex("<form id=\"op.logoutForm\" method=\"post\" action=\"([^\"]+)\">.*?</form>", RegexOptions.Singleline)]
    private static partial Regex LogoutForm();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"/?>")]
    private static partial Regex HiddenInputs();
}

/// <summary>Where the browser ended up: the last address, its status and page.</summary>
public sealed record Landing(Uri Uri, HttpStatusCode Status, string Body)
{
    public string PathAndQuery => Uri.PathAndQuery;
}
