package workflow

import (
	"context"
	"slices"
	"strconv"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

var declDocumentNoun = apperr.T("Document", "单证")

// documentsAwaited loads the acting agent's declaration and checks that customs is waiting for
// documents on it: accepted, with a request since its latest acceptance.
func documentsAwaited(tx *gorm.DB, actor Actor, id int64) (*models.Declaration, *CustomsInfo, error) {
	var d models.Declaration
	if err := tx.Where("id = ? AND agent_id = ?", id, actor.AgentID).Take(&d).Error; err != nil {
		if noSuchRow(err) {
			return nil, nil, errDeclarationNotFound()
		}
		return nil, nil, apperr.Wrap(err, "load declaration")
	}
	evs, err := declarationEvents(tx, d.ID)
	if err != nil {
		return nil, nil, err
	}
	info, err := customsInfo(tx, &d, evs, map[int64]string{})
	if err != nil {
		return nil, nil, err
	}
	if d.Status != models.DeclarationAccepted || len(info.Requests) == 0 {
		return nil, nil, apperr.New(apperr.Conflict, apperr.T("Customs has not asked for documents of this declaration",
			"海关未要求补充该报关单的单证"))
	}
	return &d, info, nil
}

// UploadDeclarationDocuments attaches the documents customs asked for (yellow lane, or a later
// request) to an accepted declaration of the acting agent. Files are checked by content (JPEG,
// PNG, WebP or PDF) and size (10 MB) and stored by SHA-256 as transaction documents are; if one
// is refused none is attached. One "documents_uploaded" event, one audit entry; the officers who
// accepted the declaration and asked for the documents are told.
func (s *Service) UploadDeclarationDocuments(ctx context.Context, actor Actor, id int64, kind string, files []DocumentUpload) ([]models.Document, error) {
	if err := actor.Require(ActDeclarationDocs); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	if !slices.Contains(CustomsDocKinds, kind) {
		fe.Add("kind", apperr.T("Choose what the documents are: sales contract or invoice, packing list, or other",
			"请选择单证种类：销售合同或发票、装箱单或其他"))
	}
	switch {
	case len(files) == 0:
		fe.Add("files", apperr.T("Choose one or more files (photos or PDF)", "请选择一个或多个文件（照片或 PDF）"))
	case len(files) > MaxDocumentsPerUpload:
		fe.Add("files", apperr.Tf("Upload at most %d files at a time", "每次最多上传 %d 个文件", MaxDocumentsPerUpload))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	// Check first that customs waits for documents, so no file of a refused upload is kept.
	if _, _, err := documentsAwaited(s.db.WithContext(ctx), actor, id); err != nil {
		return nil, err
	}
	stored := make([]storedUpload, 0, len(files))
	for _, f := range files {
		sd, problem, err := s.storeUpload(f)
		if err != nil {
			return nil, apperr.Wrap(err, "store document")
		}
		if !problem.IsZero() {
			fe.Add("files", problem)
		}
		stored = append(stored, sd)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out []models.Document
	err := s.tx(ctx, func(tx *gorm.DB) error {
		d, info, err := documentsAwaited(tx, actor, id)
		if err != nil {
			return err
		}
		old := customsAudit(d)
		now := s.now()
		if err := customsChangeDeclaration(tx, d, map[string]any{}, now); err != nil {
			return err
		}
		detail := docUploadDetail{Kind: kind}
		for _, sd := range stored {
			doc := models.Document{DeclarationID: &d.ID, Kind: kind, FileName: sd.Name, ContentType: sd.ContentType, Size: sd.Size,
				SHA256: sd.SHA256, UploadedByUserID: actorUserRef(actor), CreatedAt: now}
			if err := tx.Create(&doc).Error; err != nil {
				return apperr.Wrap(err, "insert document")
			}
			out = append(out, doc)
			detail.Documents = append(detail.Documents, customsDocRef{ID: doc.ID, FileName: doc.FileName, SHA256: doc.SHA256})
		}
		if err := s.event(tx, actor, d.ID, CustomsEventDocumentsUploaded, kind, detail, now); err != nil {
			return err
		}
		var officers []int64
		if info.AcceptedBy != nil {
			officers = append(officers, *info.AcceptedBy)
		}
		for _, r := range info.Requests {
			if r.OfficerID != nil {
				officers = append(officers, *r.OfficerID)
			}
		}
		if err := s.notify(tx, actor, Notice{Kind: "declaration.documents_uploaded", Link: declarationLink(d.ID) + "#customs-documents",
			Entity: "declaration", EntityID: strconv.FormatInt(d.ID, 10), UserIDs: officers,
			Text: apperr.Tf("The agent uploaded %[1]d document(s) for declaration %[2]s", "代理已为报关单 %[2]s 上传 %[1]d 份单证",
				len(out), declarationRef(d))}); err != nil {
			return err
		}
		newState := customsAudit(d)
		newState["documents"] = detail.Documents
		newState["kind"] = kind
		return s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "upload_documents", old, newState)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeclarationDocument returns a document uploaded for customs to a user who may see its
// declaration (its agent, customs, auditors, admins, merchants with lines in it), and the path
// of its bytes; anyone else, or a document of another declaration, is NotFound.
func (s *Service) DeclarationDocument(ctx context.Context, actor Actor, declarationID, documentID int64) (*DocumentFile, error) {
	if err := actor.Require(ActDeclarationView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var n int64
	if err := declarationsScoped(db.Model(&models.Declaration{}), actor).Where("declarations.id = ?", declarationID).Count(&n).Error; err != nil {
		return nil, apperr.Wrap(err, "load declaration")
	}
	if n == 0 {
		return nil, errDeclarationNotFound()
	}
	var d models.Document
	if err := db.Where("id = ? AND declaration_id = ?", documentID, declarationID).Take(&d).Error; err != nil {
		return nil, models.Translate(err, declDocumentNoun)
	}
	p, err := s.docStorePath(d.SHA256)
	if err != nil {
		return nil, apperr.Wrap(err, "document path")
	}
	return &DocumentFile{Document: d, Path: p}, nil
}
