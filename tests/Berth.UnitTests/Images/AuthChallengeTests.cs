using Berth.Images.Registry;

namespace Berth.UnitTests.Images;

public sealed class AuthChallengeTests
{
    [Fact]
    public void A_bearer_challenge_gives_its_parameters_with_commas_inside_quotes()
    {
        var c = Assert.Single(AuthChallenge.Parse(
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull,push\""));
        Assert.True(c.IsBearer);
        Assert.Equal("https://auth.docker.io/token", c["realm"]);
        Assert.Equal("registry.docker.io", c["service"]);
        Assert.Equal("repository:library/busybox:pull,push", c["scope"]);
        Assert.Equal(3, c.Parameters.Count);
    }

    [Fact]
    public void Scheme_and_parameter_names_are_case_insensitive_and_spaces_are_allowed()
    {
        var c = Assert.Single(AuthChallenge.Parse("bEaReR  Realm = \"r\" ,  SERVICE=s"));
        Assert.True(c.IsBearer);
        Assert.Equal("r", c["realm"]);
        Assert.Equal("s", c["service"]);
    }

    [Fact]
    public void Quoted_pairs_are_unescaped()
    {
        var c = Assert.Single(AuthChallenge.Parse("Basic realm=\"say \\\"hi\\\", \\\\ok\""));
        Assert.True(c.IsBasic);
        Assert.Equal("say \"hi\", \\ok", c["realm"]);
    }

    [Fact]
    public void Several_challenges_in_one_header_are_told_apart()
    {
        var all = AuthChallenge.Parse("Basic realm=\"a, b\", Bearer realm=\"https://x/token\", service=\"y\", Negotiate");
        Assert.Equal(["Basic", "Bearer", "Negotiate"], all.Select(c => c.Scheme));
        Assert.Equal("a, b", all[0]["realm"]);
        Assert.Equal("https://x/token", all[1]["realm"]);
        Assert.Equal("y", all[1]["service"]);
        Assert.Empty(all[2].Parameters);
    }

    [Fact]
    public void An_unquoted_url_is_taken_up_to_the_comma()
    {
        var c = Assert.Single(AuthChallenge.Parse("Bearer realm=https://auth.example/token?x=1,service=reg"));
        Assert.Equal("https://auth.example/token?x=1", c["realm"]);
        Assert.Equal("reg", c["service"]);
    }

    [Fact]
    public void The_first_of_a_repeated_parameter_counts()
    {
        var c = Assert.Single(AuthChallenge.Parse("Bearer realm=\"first\", realm=\"second\""));
        Assert.Equal("first", c["realm"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ,  ")]
    public void Nothing_gives_no_challenge(string header) => Assert.Empty(AuthChallenge.Parse(header));

    [Theory]
    [InlineData("Bearer realm=\"unterminated")]
    [InlineData("Bearer =\"x\"")]
    [InlineData("\"Bearer\" realm=x")]
    [InlineData("Bearer realm=")]
    [InlineData("Bearer realm=\"a\" junk\" ,,, ==")]
    public void Malformed_headers_do_not_throw(string header)
    {
        var all = AuthChallenge.Parse(header);
        Assert.Contains(all, c => c.IsBearer);
    }

    [Fact]
    public void An_unterminated_quote_runs_to_the_end()
    {
        var c = Assert.Single(AuthChallenge.Parse("Bearer realm=\"https://x/token, service=y"));
        Assert.Equal("https://x/token, service=y", c["realm"]);
    }
}
