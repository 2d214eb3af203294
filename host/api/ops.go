package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// opsHandler serves /healthz, /metrics, /v1/openapi.json and /v1/backup.
type opsHandler struct {
	ready   func() error
	metrics http.Handler
	backup  BackupService
	openapi []byte
}

// HealthJSON is the answer of a ready GET /healthz.
type HealthJSON struct {
	Status string `json:"status"`
}

func (h *opsHandler) healthz(c *gin.Context) error {
	if h.ready != nil {
		if err := h.ready(); err != nil {
			c.JSON(http.StatusServiceUnavailable, ErrorBody{Code: CodeUnavailable, Message: "not ready: " + err.Error()})
			return nil
		}
	}
	c.JSON(http.StatusOK, HealthJSON{Status: "ok"})
	return nil
}

func (h *opsHandler) serveMetrics(c *gin.Context) error {
	if h.metrics != nil {
		h.metrics.ServeHTTP(c.Writer, c.Request)
		return nil
	}
	// The hook for the Prometheus handler: until it is set, an empty but
	// valid exposition.
	c.Data(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", nil)
	return nil
}

func (h *opsHandler) openAPI(c *gin.Context) error {
	c.Data(http.StatusOK, "application/json; charset=utf-8", h.openapi)
	return nil
}

// backupWriter sets the download headers at the first byte, so that a
// refused backup answers a plain JSON error.
type backupWriter struct {
	c       *gin.Context
	started bool
}

func (w *backupWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		name := "outpost-backup-" + time.Now().UTC().Format("20060102T150405Z") + ".db"
		w.c.Header("Content-Type", "application/octet-stream")
		w.c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
		w.c.Header("Cache-Control", "no-store")
		w.c.Status(http.StatusOK)
	}
	return w.c.Writer.Write(p)
}

func (h *opsHandler) serveBackup(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	w := &backupWriter{c: c}
	if _, err := h.backup.Backup(c.Request.Context(), who(c), w); err != nil {
		return err
	}
	if !w.started {
		// An empty database file cannot be, but answer a valid download.
		w.Write(nil)
		c.Writer.WriteHeaderNow()
	}
	return nil
}
