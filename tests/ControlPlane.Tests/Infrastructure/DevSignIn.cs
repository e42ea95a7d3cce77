using System.Net;
using System.Text.RegularExpressions;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>Signs an HttpClient in the way a person does: the dev sign-in page's form, antiforgery token included.</summary>
public static partial class DevSignIn
{
    public static async Task SignInAsync(this HttpClient client, string email)
    {
        var page = await client.GetStringAsync("/sign-in");
        var form = DevUserForms().Matches(page).Select(m => m.Value).FirstOrDefault(f => f.Contains(email, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The dev sign-in page offers no {email}.");
        var response = await client.PostAsync("/dev/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = HiddenValue(form, "__RequestVerificationToken"),
            ["userId"] = HiddenValue(form, "userId"),
            ["returnUrl"] = "/",
        }));
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"Dev sign-in answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public static string HiddenValue(string html, string name) =>
        Regex.Match(html, $"name=\"{Regex.Escape(name)}\"[^>]*value=\"([^\"]*)\"").Groups[1] is { Success: true } g
            ? WebUtility.HtmlDecode(g.Value)
            : throw new InvalidOperationException($"No hidden field {name} in the form.");

    [GeneratedRegex("<form[^>]*data-testid=\"dev-user\".*?</form>", RegexOptions.Singleline)]
    private static partial Regex DevUserForms();
}
