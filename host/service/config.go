package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// Mask is what a secret config field reads as, and what a client sends back
// to keep the stored value.
const Mask = "********"

// splitConfig validates raw against schema and splits the result into the
// plain fields and the secret ones, which the store seals.
func splitConfig(schema sdk.Schema, raw map[string]any) (map[string]any, map[string]string, error) {
	if raw == nil {
		raw = map[string]any{}
	}
	for name, v := range raw {
		if f, ok := schema.Field(name); ok && f.IsSecret() && v == Mask {
			return nil, nil, InvalidField("config."+name,
				"invalid config: field %q: %q is the mask of a stored secret; send the secret itself", name, Mask)
		}
	}
	cfg, err := schema.Validate(raw)
	if err != nil {
		var ic *sdk.InvalidConfigError
		if errors.As(err, &ic) {
			field := "config"
			if ic.Field != "" {
				field = "config." + ic.Field
			}
			return nil, nil, InvalidField(field, "invalid config: %s", ic.Message)
		}
		return nil, nil, InvalidField("config", "invalid config: %v", err)
	}
	plain := map[string]any{}
	secrets := map[string]string{}
	for name, v := range cfg {
		f, _ := schema.Field(name)
		if !f.IsSecret() {
			plain[name] = v
			continue
		}
		if s, ok := v.(string); ok {
			secrets[name] = s
			continue
		}
		// A secret flag on a non-string field: seal its JSON text.
		b, err := json.Marshal(v)
		if err != nil {
			return nil, nil, InvalidField("config."+name, "invalid config: field %q: %v", name, err)
		}
		secrets[name] = string(b)
	}
	return plain, secrets, nil
}

// storedConfig is an integration's whole config as a client would send it,
// secrets in clear: the base a PATCH merges onto.
func storedConfig(schema sdk.Schema, in *store.Integration) map[string]any {
	out := maps.Clone(in.Config)
	if out == nil {
		out = map[string]any{}
	}
	for name, v := range in.Secrets {
		out[name] = secretValue(schema, name, v)
	}
	return out
}

func secretValue(schema sdk.Schema, name, v string) any {
	f, ok := schema.Field(name)
	if !ok || f.Type != sdk.FieldInt && f.Type != sdk.FieldBool {
		return v
	}
	var x any
	if json.Unmarshal([]byte(v), &x) != nil {
		return v
	}
	return x
}

// mergeConfig applies a PATCH's config to the stored one: a field sent
// replaces the stored value, null removes it, and the mask keeps a stored
// secret.
func mergeConfig(schema sdk.Schema, in *store.Integration, patch map[string]any) (map[string]any, error) {
	out := storedConfig(schema, in)
	for name, v := range patch {
		if v == nil {
			delete(out, name)
			continue
		}
		if f, ok := schema.Field(name); ok && f.IsSecret() && v == Mask {
			if _, had := in.Secrets[name]; had {
				continue
			}
			return nil, InvalidField("config."+name,
				"invalid config: field %q has no stored secret to keep; send the secret itself", name)
		}
		out[name] = v
	}
	return out, nil
}

// PluginConfig is the config a plugin call of in carries: its plain and
// secret fields, normalised by the plugin's schema (defaults filled in,
// ints as int64). The ingest runner uses it too.
func PluginConfig(schema sdk.Schema, in *store.Integration) (sdk.Config, error) {
	cfg, err := schema.Validate(storedConfig(schema, in))
	if err != nil {
		return nil, fmt.Errorf("stored config no longer fits the plugin's schema: %w", err)
	}
	return cfg, nil
}

// configHash tells whether a PATCH changed the config, secrets included.
func configHash(plain map[string]any, secrets map[string]string) string {
	all := sdk.Config{}
	for k, v := range plain {
		all[k] = v
	}
	for k, v := range secrets {
		all["secret:"+k] = v
	}
	return all.Hash()
}

// maskedConfig is the config as a client reads it.
func maskedConfig(in *store.Integration) map[string]any {
	out := make(map[string]any, len(in.Config)+len(in.Secrets))
	for k, v := range in.Config {
		out[k] = v
	}
	for k := range in.Secrets {
		out[k] = Mask
	}
	return out
}
