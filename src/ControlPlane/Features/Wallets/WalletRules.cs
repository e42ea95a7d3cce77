namespace ControlPlane.Features.Wallets;

public static class WalletRules
{
    public const string DefaultThresholds = "80,90,95";

    public static IReadOnlyList<int> ParseThresholds(string? text) =>
        [.. (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, out var v) ? v : -1).Where(v => v is > 0 and < 100).Distinct().Order()];
}
