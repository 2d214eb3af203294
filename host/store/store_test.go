package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestOpenCreatesPrivateVersionedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outpost.db")
	d, err := Open(path, Options{Key: testKey, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := st.Mode().Perm(); mode != 0o600 {
		t.Errorf("file mode %o, want 600", mode)
	}
	var version uint64
	_ = d.bolt.View(func(tx *bolt.Tx) error {
		version = getU64(tx.Bucket(bMeta).Get(kSchema))
		return nil
	})
	if version != uint64(len(migrations)) {
		t.Errorf("schema version %d, want %d", version, len(migrations))
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = Open(path, Options{Key: testKey, NoSync: true})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	_ = d.Close()
}

func TestOpenRefuses(t *testing.T) {
	otherKey := bytes.Repeat([]byte{7}, 32)
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		key     []byte
		want    error
	}{
		{name: "newer schema", key: testKey, want: ErrSchemaTooNew, prepare: func(t *testing.T, path string) {
			setVersion(t, path, uint64(len(migrations))+1)
		}},
		{name: "wrong key", key: otherKey, want: ErrSealed},
		{name: "short key", key: testKey[:16], want: ErrInvalid},
		{name: "no key", key: nil, want: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "outpost.db")
			d, err := Open(path, Options{Key: testKey, NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			mustCustomer(t, d, "acme")
			_ = d.Close()
			if tt.prepare != nil {
				tt.prepare(t, path)
			}
			before, _ := os.ReadFile(path)
			d, err = Open(path, Options{Key: tt.key, NoSync: true})
			if !errors.Is(err, tt.want) {
				if d != nil {
					_ = d.Close()
				}
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Error("a refused Open changed the file")
			}
		})
	}
}

func setVersion(t *testing.T, path string, v uint64) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bMeta).Put(kSchema, putU64(nil, v))
	}); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationsRunForward(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outpost.db")
	d, err := Open(path, Options{Key: testKey, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c := mustCustomer(t, d, "acme")
	_ = d.Close()

	saved := migrations
	t.Cleanup(func() { migrations = saved })
	ran := 0
	migrations = append(append([]migration(nil), saved...), migration{name: "test step", up: func(tx *bolt.Tx) error {
		ran++
		_, err := tx.CreateBucket([]byte("v2_bucket"))
		return err
	}})
	d, err = Open(path, Options{Key: testKey, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if ran != 1 {
		t.Fatalf("new migration ran %d times", ran)
	}
	var version uint64
	var hasBucket bool
	_ = d.bolt.View(func(tx *bolt.Tx) error {
		version = getU64(tx.Bucket(bMeta).Get(kSchema))
		hasBucket = tx.Bucket([]byte("v2_bucket")) != nil
		return nil
	})
	if version != uint64(len(migrations)) || !hasBucket {
		t.Errorf("version %d, bucket %v after migration", version, hasBucket)
	}
	if _, err := d.GetCustomer(context.Background(), c.ID); err != nil {
		t.Errorf("data before the migration: %v", err)
	}
}

func TestLoadKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, 32)
	tests := []struct {
		name    string
		env     *string
		file    []byte
		want    []byte
		wantErr bool
	}{
		{name: "env base64", env: ptr(base64.StdEncoding.EncodeToString(raw)), want: raw},
		{name: "env hex", env: ptr(hex.EncodeToString(raw)), want: raw},
		{name: "env wrong size", env: ptr(base64.StdEncoding.EncodeToString(raw[:16])), wantErr: true},
		{name: "env garbage", env: ptr("not a key"), wantErr: true},
		{name: "file hex", file: []byte(hex.EncodeToString(raw) + "\n"), want: raw},
		{name: "file raw bytes", file: raw, want: raw},
		{name: "file wrong size", file: []byte(hex.EncodeToString(raw[:20])), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.env != nil {
				t.Setenv(KeyEnv, *tt.env)
			} else {
				unsetEnv(t, KeyEnv)
			}
			if tt.file != nil {
				if err := os.WriteFile(filepath.Join(dir, KeyFile), tt.file, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LoadKey(dir)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				if tt.env != nil && bytes.Contains([]byte(err.Error()), []byte(*tt.env)) {
					t.Errorf("error quotes the key: %v", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("LoadKey = %x, %v", got, err)
			}
		})
	}
	t.Run("created on first start", func(t *testing.T) {
		unsetEnv(t, KeyEnv)
		dir := filepath.Join(t.TempDir(), "data")
		k1, err := LoadKey(dir)
		if err != nil || len(k1) != KeySize {
			t.Fatalf("LoadKey: %x, %v", k1, err)
		}
		st, err := os.Stat(filepath.Join(dir, KeyFile))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v, %v", st, err)
		}
		k2, err := LoadKey(dir)
		if err != nil || !bytes.Equal(k1, k2) {
			t.Fatalf("second LoadKey gave another key: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func unsetEnv(t *testing.T, k string) {
	t.Helper()
	t.Setenv(k, "") // restores the old value at the end
	_ = os.Unsetenv(k)
}

func TestSecretsSealedOnDisk(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outpost.db")
	d, err := Open(path, Options{Key: testKey, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c := mustCustomer(t, d, "acme")
	const secret = "very-secret-token-Zq9xW2"
	in := &Integration{CustomerID: c.ID, Type: "splunk", Name: "prod", Secrets: map[string]string{"token": secret}, Config: map[string]any{"url": "http://127.0.0.1:1"}}
	if err := d.CreateIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UpdateIntegration(ctx, in.ID, func(x *Integration) error { x.Secrets["other"] = secret + "2"; return nil }); err != nil {
		t.Fatal(err)
	}
	got, err := d.GetIntegration(ctx, in.ID)
	if err != nil || got.Secrets["token"] != secret || got.Secrets["other"] != secret+"2" {
		t.Fatalf("GetIntegration: %+v, %v", got, err)
	}
	all, err := d.AllIntegrations(ctx)
	if err != nil || len(all) != 1 || all[0].Secrets["token"] != secret {
		t.Fatalf("AllIntegrations: %+v, %v", all, err)
	}
	_ = d.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(secret)) {
		t.Fatal("the secret is in the file in clear")
	}
	if !bytes.Contains(raw, []byte("127.0.0.1:1")) {
		t.Fatal("the test reads the wrong file: config not found either")
	}
}
