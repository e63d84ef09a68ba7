using System.Text.Json.Serialization;

namespace Berth.Images.Registry;

// The JSON documents of the registry protocol itself (not of images).

/// <summary>A token server's answer (Docker token authentication spec).</summary>
internal sealed class TokenResponse
{
    [JsonPropertyName("token")] public string? Token { get; set; }
    [JsonPropertyName("access_token")] public string? AccessToken { get; set; }
    /// <summary>Seconds the token is valid for; 60 when absent.</summary>
    [JsonPropertyName("expires_in")] public double? ExpiresIn { get; set; }
}

/// <summary>The error body of the OCI distribution spec: <c>{"errors":[{"code","message","detail"}]}</c>.</summary>
internal sealed class ErrorResponse
{
    [JsonPropertyName("errors")] public ErrorEntry[]? Errors { get; set; }
}

internal sealed class ErrorEntry
{
    [JsonPropertyName("code")] public string? Code { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
}

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;
