using System.Net;
using System.Text;

namespace Berth.Images.Registry;

/// <summary>
/// A registry operation that failed, with a one-line message meant for the user ("unauthorized: wrong
/// username or password for 127.0.0.1:5000"). Text that comes from the server is cleaned of control
/// characters and clipped before it goes into a message.
/// </summary>
public sealed class RegistryException : Exception
{
    public RegistryException(string message, HttpStatusCode? statusCode = null, Exception? inner = null)
        : base(OneLine(message, 1000), inner)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status that caused the failure, when there was one.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>
    /// Worth retrying later: the registry could not be reached, or answered 429 or 5xx. A resuming blob
    /// stream retries these; everything else (404, 401, a bad digest) will not get better.
    /// </summary>
    public bool IsTransient { get; init; }

    /// <summary>Server-provided or exception text made fit for a one-line message.</summary>
    internal static string OneLine(string text, int max = 200)
    {
        var sb = new StringBuilder(Math.Min(text.Length, max + 1));
        bool space = false;
        foreach (char c in text)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (space) { sb.Append(' '); space = false; }
            sb.Append(c);
            if (sb.Length >= max) { sb.Append('…'); break; }
        }
        return sb.ToString();
    }
}
