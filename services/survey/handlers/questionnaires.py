"""Use cases of questionnaires (V3): save a version, publish it, list, read."""
from services.common.errors import Conflict, NotFound
from services.common.identity import Principal
from services.survey.domain import questionnaires as rules
from services.survey.store import questionnaires as store


def save_questionnaire(tx, principal: Principal, q: dict) -> dict:
    """The draft saved: the one named (a draft), else the newest draft of the name,
    else the next version as a new draft.  A published version is never changed."""
    content = {"name": q["name"], "title": q["title"], "description": q["description"],
               "questions": rules.check_questions(q["questions"])}
    store.lock_name(tx.cur, q["name"])
    if q.get("questionnaire_id"):
        target = store.get(tx.cur, str(q["questionnaire_id"]), lock=True)
        if target is None or target["name"] != q["name"]:
            raise NotFound("no such questionnaire version of this name")
        rules.editable(target)
        return store.update_draft(tx.cur, target["id"], content)
    newest = store.newest(tx.cur, q["name"])
    if newest is not None and newest["status"] == "draft":
        return store.update_draft(tx.cur, newest["id"], content)
    return store.insert_draft(tx.cur, content, principal.username or principal.id)


def publish_questionnaire(tx, principal: Principal, questionnaire_id: str) -> dict:
    """Draft -> published (immutable from now on); publishing it again is Conflict."""
    row = store.get(tx.cur, questionnaire_id, lock=True)
    if row is None:
        raise NotFound("no such questionnaire")
    if row["status"] == "published":
        raise Conflict("this version is already published",
                       {"questionnaire_id": ["already published"]})
    return store.publish(tx.cur, questionnaire_id, principal.username or principal.id)


def questionnaires(tx, query: dict) -> dict:
    return {"questionnaires": store.listing(tx.cur, query.get("name"), query.get("status"),
                                            query["all_versions"])}


def get_questionnaire(tx, questionnaire_id: str) -> dict:
    row = store.get(tx.cur, questionnaire_id)
    if row is None:
        raise NotFound("no such questionnaire")
    return row


def published(tx, questionnaire_id: str) -> dict:
    """A version that takes answers: published (a draft is Invalid), or NotFound."""
    row = get_questionnaire(tx, questionnaire_id)
    rules.answerable(row)
    return row


def newest_published(tx, name: str) -> dict:
    """The newest published version of a name, or NotFound (none published yet)."""
    row = store.newest_published(tx.cur, name)
    if row is None:
        raise NotFound("no published questionnaire of this name",
                       {"questionnaire_name": ["none published"]})
    return row
