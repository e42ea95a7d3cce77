using ControlPlane.Features.Keys;

namespace ControlPlane.Tests.Keys;

public sealed class ApiKeyStatusTests
{
    private static readonly DateTime Created = new(2026, 11, 1, 9, 0, 0, DateTimeKind.Utc);

    private static ApiKey Key(DateTime? expiresAt = null, DateTime? revokedAt = null) => new()
    {
        Id = Guid.NewGuid(), TeamId = Guid.NewGuid(), Name = "k", Prefix = "cp-live-ab12cd34", Hash = new string('0', 64),
        CreatedAt = Created, CreatedBy = "test", ExpiresAt = expiresAt, RevokedAt = revokedAt,
    };

    [Fact]
    public void A_key_without_expiry_stays_active()
    {
        var key = Key();

        Assert.Equal(ApiKeyStatus.Active, key.StatusAt(Created));
        Assert.Equal(ApiKeyStatus.Active, key.StatusAt(Created.AddYears(50)));
    }

    [Fact]
    public void A_key_is_active_until_its_expiry_and_expired_from_that_moment_on()
    {
        var expiry = Created.AddDays(30);
        var key = Key(expiresAt: expiry);

        Assert.Equal(ApiKeyStatus.Active, key.StatusAt(Created));
        Assert.Equal(ApiKeyStatus.Active, key.StatusAt(expiry.AddTicks(-1)));
        Assert.Equal(ApiKeyStatus.Expired, key.StatusAt(expiry));
        Assert.Equal(ApiKeyStatus.Expired, key.StatusAt(expiry.AddSeconds(1)));
        Assert.Equal(ApiKeyStatus.Expired, key.StatusAt(expiry.AddYears(1)));
    }

    [Fact]
    public void A_revoked_key_is_revoked_whether_or_not_it_has_expired()
    {
        var key = Key(expiresAt: Created.AddDays(30), revokedAt: Created.AddDays(1));

        Assert.Equal(ApiKeyStatus.Revoked, key.StatusAt(Created.AddDays(2)));
        Assert.Equal(ApiKeyStatus.Revoked, key.StatusAt(Created.AddDays(31)));
        Assert.Equal(ApiKeyStatus.Revoked, Key(revokedAt: Created).StatusAt(Created.AddDays(1)));
    }
}
