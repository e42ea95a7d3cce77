using System.Net;
using ControlPlane.Tests.Infrastructure;

namespace ControlPlane.Tests.People;

/// <summary>Uses a one-time sign-in link as a browser does: open the page, then press its one button (the form's post).</summary>
public static class LinkSignIn
{
    public static async Task<string> OpenAsync(HttpClient client, string path)
    {
        var page = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        return await page.Content.ReadAsStringAsync();
    }

    /// <summary>Posts the page's form; the page must offer the button.</summary>
    public static async Task<HttpResponseMessage> PressAsync(HttpClient client, string path, string page) =>
        await client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = DevSignIn.HiddenValue(page, "__RequestVerificationToken"),
            ["_handler"] = DevSignIn.HiddenValue(page, "_handler"),
        }));

    /// <summary>The path the command line printed (its second line), e.g. /sign-in/link/abc….</summary>
    public static string PathIn(string stdout)
    {
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Single(l => l.Contains("/sign-in/link/", StringComparison.Ordinal));
        return new Uri(new Uri("http://localhost"), line).PathAndQuery;
    }
}
