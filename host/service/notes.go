package service

import (
	"context"
	"errors"

	"github.com/outpost-soc/outpost/host/store"
)

// AddNote adds a note to a case (closed ones too), written by the acting
// token's name. Notes stay in Outpost: they are never mirrored.
func (s *Service) AddNote(ctx context.Context, who *store.Token, caseID, text string) (*store.Note, error) {
	if _, err := s.visibleCase(ctx, who, caseID); err != nil {
		return nil, err
	}
	t, err := checkText("text", text, true)
	if err != nil {
		return nil, err
	}
	n := &store.Note{Author: actor(who), Text: t}
	if err := s.store.AddNote(ctx, caseID, n); err != nil {
		return nil, storeError(err, "case", caseID)
	}
	return n, nil
}

// ListNotes lists a case's notes, newest first.
func (s *Service) ListNotes(ctx context.Context, who *store.Token, caseID string, p store.Page) ([]store.Note, int, error) {
	if _, err := s.visibleCase(ctx, who, caseID); err != nil {
		return nil, 0, err
	}
	list, total, err := s.store.ListNotes(ctx, caseID, p)
	if err != nil {
		return nil, 0, listError(err, p, "case", caseID)
	}
	return list, total, nil
}

// AddComment adds a comment to a case (closed ones too), written by the
// acting token's name. When the case's integration mirrors, the comment is
// queued for the vendor in the same transaction.
func (s *Service) AddComment(ctx context.Context, who *store.Token, caseID, text string) (*store.Comment, error) {
	if _, err := s.visibleCase(ctx, who, caseID); err != nil {
		return nil, err
	}
	t, err := checkText("text", text, true)
	if err != nil {
		return nil, err
	}
	c := &store.Comment{Author: actor(who), Text: t}
	if err := s.store.AddComment(ctx, caseID, c, true); err != nil {
		return nil, storeError(err, "case", caseID)
	}
	return c, nil
}

// ListComments lists a case's comments, newest first.
func (s *Service) ListComments(ctx context.Context, who *store.Token, caseID string, p store.Page) ([]store.Comment, int, error) {
	if _, err := s.visibleCase(ctx, who, caseID); err != nil {
		return nil, 0, err
	}
	list, total, err := s.store.ListComments(ctx, caseID, p)
	if err != nil {
		return nil, 0, listError(err, p, "case", caseID)
	}
	return list, total, nil
}

// ListMirror lists the mirror deliveries of a case (status changes,
// assignments, closes and comments queued for the vendor) and their
// state, newest first.
func (s *Service) ListMirror(ctx context.Context, who *store.Token, caseID string, p store.Page) ([]store.MirrorItem, int, error) {
	if _, err := s.visibleCase(ctx, who, caseID); err != nil {
		return nil, 0, err
	}
	list, total, err := s.store.ListMirror(ctx, caseID, p)
	if err != nil {
		return nil, 0, listError(err, p, "case", caseID)
	}
	return list, total, nil
}

// listError is the error of a list under a parent: the parent gone between
// the check and the list is not found; otherwise as pageError.
func listError(err error, p store.Page, what, id string) error {
	if p.ToID == "" && errors.Is(err, store.ErrNotFound) {
		return NotFound(what, id)
	}
	return pageError(err, p)
}
