using System.Net;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Providers;

namespace ControlPlane.Tests.Gateway.Security;

/// <summary>The address rule on its own: pure computation, no lookups, no sockets.</summary>
public sealed class ProviderAddressPolicyTests
{
    private static readonly ProviderAddressPolicy Default = new([]);

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.8.9.10", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.254", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("fd00:ec2::254", "private")]
    [InlineData("100.64.0.1", "carrier-grade NAT")]
    [InlineData("100.100.100.200", "carrier-grade NAT")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("::ffff:169.254.169.254", "link-local")]
    [InlineData("64:ff9b::a9fe:a9fe", "link-local")]
    [InlineData("2002:0a00:0001::1", "private")]
    public void Internal_addresses_are_refused_by_default_naming_the_range_and_the_setting(string address, string range)
    {
        var refused = Default.Check(address, IPAddress.Parse(address), 443);

        Assert.NotNull(refused);
        Assert.Contains(range, refused, StringComparison.Ordinal);
        Assert.Contains("Gateway:AllowedProviderAddresses", refused, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700::1111")]
    public void Public_addresses_are_allowed(string address) =>
        Assert.Null(Default.Check("api.example.com", IPAddress.Parse(address), 443));

    [Fact]
    public void A_host_that_resolves_inward_is_named_with_the_address_it_resolved_to()
    {
        var refused = Default.Check("rebind.example", IPAddress.Parse("169.254.169.254"), 80);

        Assert.StartsWith("rebind.example resolves to 169.254.169.254, which is link-local", refused, StringComparison.Ordinal);
        Assert.Contains("\"169.254.169.254:80\"", refused, StringComparison.Ordinal);
    }

    [Fact]
    public void An_allowed_address_with_a_port_allows_that_port_only()
    {
        var policy = new ProviderAddressPolicy(["127.0.0.1:11434"]);

        Assert.Null(policy.Check("127.0.0.1", IPAddress.Loopback, 11434));
        Assert.Contains("loopback", policy.Check("127.0.0.1", IPAddress.Loopback, 5432), StringComparison.Ordinal);
        Assert.NotNull(policy.Check("127.0.0.2", IPAddress.Parse("127.0.0.2"), 11434));
    }

    [Fact]
    public void Ranges_IPv6_with_ports_and_host_names_can_be_allowed()
    {
        var policy = new ProviderAddressPolicy(["10.0.0.0/8", "[::1]:8000", "ollama.internal:11434"]);

        Assert.Null(policy.Check("vllm.corp", IPAddress.Parse("10.20.30.40"), 8000));
        Assert.Null(policy.Check("::1", IPAddress.IPv6Loopback, 8000));
        Assert.NotNull(policy.Check("::1", IPAddress.IPv6Loopback, 8001));
        Assert.Null(policy.Check("ollama.internal", IPAddress.Parse("192.168.5.5"), 11434));
        Assert.NotNull(policy.Check("ollama.internal", IPAddress.Parse("192.168.5.5"), 11435));
        Assert.NotNull(policy.Check("other.internal", IPAddress.Parse("192.168.5.5"), 11434));
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/", "link-local")]
    [InlineData("http://[fd00:ec2::254]/", "private")]
    [InlineData("http://10.0.0.7:8000/v1", "private")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1", "cloud metadata host")]
    [InlineData("http://localhost:11434/v1", "loopback")]
    [InlineData("http://2130706433/v1", "loopback")]
    public void A_URL_is_checked_when_saved_without_resolving_anything(string url, string why)
    {
        var refused = Default.CheckUrl(new Uri(url));

        Assert.NotNull(refused);
        Assert.Contains(why, refused, StringComparison.Ordinal);
    }

    [Fact]
    public void A_public_host_name_is_left_to_the_check_at_connect_time() =>
        Assert.Null(Default.CheckUrl(new Uri("https://api.openai.com/v1")));

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:http")]
    [InlineData("[::1")]
    [InlineData("not a host")]
    public void A_bad_allow_list_entry_fails_at_boot_with_the_settings_name(string entry)
    {
        var result = new ProviderAddressValidation().Validate(null, new GatewayOptions { AllowedProviderAddresses = [entry] });

        Assert.True(result.Failed);
        Assert.Contains("Gateway:AllowedProviderAddresses:0", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_provider_on_a_denied_address_fails_at_boot_unless_its_address_is_allowed()
    {
        var options = new GatewayOptions { Providers = { ["ollama"] = new ConfiguredProvider { Kind = "openai", BaseUrl = "http://127.0.0.1:11434/v1" } } };

        var refused = new ProviderAddressValidation().Validate(null, options);
        options.AllowedProviderAddresses = ["127.0.0.1:11434"];
        var allowed = new ProviderAddressValidation().Validate(null, options);

        Assert.True(refused.Failed);
        Assert.Contains("Gateway:Providers:ollama:BaseUrl", refused.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("loopback", refused.FailureMessage, StringComparison.Ordinal);
        Assert.True(allowed.Succeeded);
    }
}
