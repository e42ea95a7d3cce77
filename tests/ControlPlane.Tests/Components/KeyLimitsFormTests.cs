using ControlPlane.Features.Keys;

namespace ControlPlane.Tests.Components;

public sealed class KeyLimitsFormTests
{
    private static KeyRow Key(int? rpm, int? tpm, int? ceiling) =>
        new(Guid.NewGuid(), "checkout", "cp-live-ab12cd34", Guid.NewGuid(), "Engineering / Platform", DateTime.UtcNow, "adam", null, null, ApiKeyStatus.Active, rpm, tpm, ceiling);

    [Fact]
    public async Task The_limits_form_starts_from_the_keys_current_limits()
    {
        var html = await StaticRenderer.RenderAsync<KeyLimitsForm>(parameters: new()
        {
            [nameof(KeyLimitsForm.Key)] = Key(60, 50_000, null),
            [nameof(KeyLimitsForm.OnSave)] = (Func<(int?, int?, int?), Task<string?>>)(_ => Task.FromResult<string?>(null)),
        });

        Assert.Contains("Limits of &#x27;checkout&#x27;", html, StringComparison.Ordinal);
        Assert.Contains("value=\"60\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"50000\"", html, StringComparison.Ordinal);
        Assert.Contains("Calls per caller per window", html, StringComparison.Ordinal);
    }
}
