using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Images;
using Berth.Images.References;
using Berth.Images.Registry;

namespace Berth.Cli.Images;

/// <summary>docker login/logout: credentials checked against the registry, kept in docker's config.json.</summary>
public static class LoginCommand
{
    public static Command Build()
    {
        var server = new Argument<string?>("SERVER") { Arity = ArgumentArity.ZeroOrOne };
        var user = new Option<string?>("--username", "-u") { Description = "user name" };
        var password = new Option<string?>("--password", "-p") { Description = "password (prefer --password-stdin)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "take the password from stdin" };
        var c = new Command("login", "Log in to a registry") { server, user, password, passwordStdin };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            string registry = p.GetValue(server) ?? ImageReference.DockerHubDomain;
            string? name = p.GetValue(user), secret = p.GetValue(password);
            if (p.GetValue(passwordStdin))
            {
                if (secret is not null) throw new ImageException("--password and --password-stdin are mutually exclusive");
                if (name is null) throw new ImageException("must provide --username with --password-stdin");
                secret = Console.In.ReadToEnd().TrimEnd('\n', '\r');
            }
            if (secret is not null && !p.GetValue(passwordStdin))
                Console.Error.WriteLine("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
            if (name is null || secret is null)
            {
                if (Console.IsInputRedirected) throw new ImageException("Cannot perform an interactive login from a non TTY device");
                if (name is null) { Console.Write("Username: "); name = Console.ReadLine() ?? ""; }
                if (secret is null) { Console.Write("Password: "); secret = ReadHidden(); }
            }
            if (name.Length == 0) throw new ImageException("Username is required");
            using var client = new RegistryClient(EngineCli.RegistryOptions(p));
            client.CheckLoginAsync(registry, name, secret, EngineCli.Interrupt()).GetAwaiter().GetResult();
            CredentialStore.Load().Save(registry, name, secret);
            Console.WriteLine("Login Succeeded");
            return 0;
        }));
        return c;
    }

    private static string ReadHidden()
    {
        var sb = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (sb.Length > 0) sb.Length--; continue; }
            sb.Append(key.KeyChar);
        }
        Console.WriteLine();
        return sb.ToString();
    }
}

public static class LogoutCommand
{
    public static Command Build()
    {
        var server = new Argument<string?>("SERVER") { Arity = ArgumentArity.ZeroOrOne };
        var c = new Command("logout", "Log out from a registry") { server };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            string registry = p.GetValue(server) ?? ImageReference.DockerHubDomain;
            string shown = registry == ImageReference.DockerHubDomain ? RegistryEndpoint.DockerHubCredentialKey : registry;
            if (CredentialStore.Load().Remove(registry)) Console.WriteLine($"Removing login credentials for {shown}");
            else Console.WriteLine($"Not logged in to {shown}");
            return 0;
        }));
        return c;
    }
}
